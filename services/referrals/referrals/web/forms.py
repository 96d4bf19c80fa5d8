"""The web forms (flask-wtf: every form that posts carries a CSRF token).

Fields are named like the API's dotted paths (`client.first_name` is `client_first_name`), so an
error the API's own validation or use case reports lands on the field it concerns. WTForms checks
only what a person needs to hear at once (required, lengths); the API's models decide the rest.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeLocalField, HiddenField, RadioField, SelectChoice, SelectField,
                     SelectMultipleField, StringField, TextAreaField, widgets)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from referrals.web import labels


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (a fieldset), not a multi-select box."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _choices(table: dict, *, blank: bool = False) -> list:
    options = [SelectChoice(code, text) for code, text in table.items()]
    return [SelectChoice("", _l("Choose…"))] + options if blank else options


class DirectorySearchForm(FlaskForm):
    """Finding a receiver: the criteria are no client data, so they may travel in the URL (GET)."""

    class Meta:
        csrf = False

    need = SelectField(_l("Need"), choices=_choices(labels.NEEDS, blank=True), validators=[Optional()])
    municipality = StringField(_l("Municipality code"), validators=[
        Optional(), Regexp(r"^\d{3}$", message=_l("A municipality code has three digits, e.g. 245."))],
        description=_l("Three digits, e.g. 245 Kerava"))
    language = SelectField(_l("Service language"), choices=_choices(labels.LANGUAGES, blank=True),
                           validators=[Optional()])


REQUIRED = _l("This field is required.")


class ReferralForm(FlaskForm):
    idempotency_key = HiddenField()
    to_organisation_id = RadioField(_l("Receiver"), choices=[], validate_choice=False,
                                    validators=[InputRequired(message=_l("Choose the receiver."))])
    client_first_name = StringField(_l("First name"), validators=[DataRequired(REQUIRED), Length(max=100)],
                                    render_kw={"autocomplete": "off"})
    client_last_name = StringField(_l("Last name"), validators=[DataRequired(REQUIRED), Length(max=100)],
                                   render_kw={"autocomplete": "off"})
    client_personal_identity_code = StringField(
        _l("Personal identity code"), validators=[Optional(), Length(max=11)], render_kw={"autocomplete": "off"},
        description=_l("Optional. Without it, give the birth date."))
    client_birth_date = DateField(_l("Birth date"), validators=[Optional()],
                                  description=_l("Required without an identity code."))
    client_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)], render_kw={"type": "tel"})
    client_email = StringField(_l("Email"), validators=[Optional(), Length(max=254)], render_kw={"type": "email"})
    client_language = SelectField(_l("Client's language"), choices=_choices(labels.LANGUAGES, blank=True),
                                  validators=[Optional()])
    consent_given = BooleanField(_l("The client has consented to this referral and to sharing these details "
                                    "with the receiver."),
                                 validators=[DataRequired(_l("A referral needs the client's consent."))])
    consent_method = RadioField(_l("How was consent given?"), choices=_choices(labels.CONSENT_METHODS),
                                validators=[InputRequired(REQUIRED)])
    consent_given_at = DateTimeLocalField(_l("Consent given at"), format="%Y-%m-%dT%H:%M",
                                          validators=[InputRequired(REQUIRED)])
    consent_expires_at = DateField(_l("Consent valid until"), validators=[Optional()],
                                   description=_l("Optional."))
    needs = CheckboxesField(_l("Needs"), choices=_choices(labels.NEEDS),
                            validators=[DataRequired(_l("Choose at least one need."))])
    reason = TextAreaField(_l("Reason for the referral"), validators=[Optional(), Length(max=4000)])
    urgency = RadioField(_l("Urgency"), choices=_choices(labels.URGENCIES), default="normal",
                         validators=[InputRequired(REQUIRED)])
    responsible_worker_name = StringField(_l("Responsible worker"), validators=[Optional(), Length(max=200)])
    responsible_worker_phone = StringField(_l("Responsible worker's phone"), validators=[Optional(), Length(max=40)],
                                           render_kw={"type": "tel"})
    responsible_worker_email = StringField(_l("Responsible worker's email"),
                                           validators=[Optional(), Length(max=254)], render_kw={"type": "email"})


class VersionedForm(FlaskForm):
    """An action on a referral as the person saw it: a stale `version` is refused (If-Match)."""

    version = HiddenField()


class DeclineForm(VersionedForm):
    reason = SelectField(_l("Reason"), choices=_choices(labels.DECLINE_REASONS, blank=True),
                         validators=[DataRequired(_l("Choose a reason."))])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=4000)])


class CompleteForm(VersionedForm):
    outcome = SelectField(_l("Outcome"), choices=_choices(labels.OUTCOMES, blank=True),
                          validators=[DataRequired(_l("Choose an outcome."))])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=4000)])


class WithdrawForm(VersionedForm):
    reason = SelectField(_l("Reason"), validators=[DataRequired(_l("Choose a reason."))],
                         choices=_choices({code: text for code, text in labels.WITHDRAW_REASONS.items()
                                           if code != "receiver_deactivated"}, blank=True))
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=4000)])


class CommentForm(FlaskForm):
    text = TextAreaField(_l("Comment"), validators=[DataRequired(_l("Write a comment.")), Length(max=4000)])


#: The forms of a referral page, one per action (each with its own field prefix, so ids never clash).
ACTION_FORMS = {"accept": VersionedForm, "start": VersionedForm, "decline": DeclineForm,
                "complete": CompleteForm, "withdraw": WithdrawForm}
