"""From the new-referral form to the API's request model, and the API's field errors back onto it.

The form is validated by the very model the API validates with (`CreateReferral`), and created by
the same use case, so the web and the API cannot disagree on what a valid referral is.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from pydantic import ValidationError

from referrals.api.schemas import CreateReferral

HELSINKI = ZoneInfo("Europe/Helsinki")

#: The API's messages (its validators' and use cases'), as a person reads them in their language.
MESSAGES = {
    "This field is required.": _l("This field is required."),
    "Required when no personal identity code is given.": _l("Give the birth date or the personal identity code."),
    "The birth date is in the future.": _l("The birth date cannot be in the future."),
    "Does not match the personal identity code.": _l("The birth date does not match the personal identity code."),
    "The client's consent is required for a referral.": _l("A referral needs the client's consent."),
    "Consent cannot be given in the future.": _l("Consent cannot be given in the future."),
    "Consent must expire after it was given.": _l("Consent must be valid for longer than the time it was given."),
    "The consent has already expired.": _l("The consent has already expired."),
    "No active organisation with this id.": _l("The receiver is not active in the hub. Choose another."),
    "An organisation cannot refer a client to itself.": _l("Your own organisation cannot be the receiver."),
}
#: When the API's message is one of the generic ones (types, formats), what to say of each field.
FIELD_MESSAGES = {
    "client_personal_identity_code": _l("This is not a valid personal identity code, e.g. 010504A902T."),
    "client_email": _l("Enter an email address like name@example.fi."),
    "responsible_worker_email": _l("Enter an email address like name@example.fi."),
    "responsible_worker_name": _l("Give the responsible worker's name, or leave their details empty."),
    "client_language": _l("Choose a language from the list."),
    "to_organisation_id": _l("Choose the receiver."),
}


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def request_body(form) -> dict:
    """The API's JSON body from the form's fields (times entered are Helsinki's)."""
    given_at = form.consent_given_at.data
    expires_on = form.consent_expires_at.data
    worker = {"name": _text(form.responsible_worker_name.data) or "",
              "phone": _text(form.responsible_worker_phone.data),
              "email": _text(form.responsible_worker_email.data)}
    return {
        "to_organisation_id": form.to_organisation_id.data,
        "client": {
            "first_name": _text(form.client_first_name.data), "last_name": _text(form.client_last_name.data),
            "personal_identity_code": _text(form.client_personal_identity_code.data),
            "birth_date": form.client_birth_date.data.isoformat() if form.client_birth_date.data else None,
            "phone": _text(form.client_phone.data), "email": _text(form.client_email.data),
            "language": _text(form.client_language.data),
        },
        "consent": {
            "given": bool(form.consent_given.data), "method": form.consent_method.data,
            "given_at": given_at.replace(tzinfo=HELSINKI).isoformat() if given_at else None,
            # Valid until the end of the chosen day, in Helsinki.
            "expires_at": (datetime.combine(expires_on + timedelta(days=1), time(), HELSINKI).isoformat()
                           if expires_on else None),
        },
        "needs": list(form.needs.data or []), "reason": _text(form.reason.data), "urgency": form.urgency.data,
        "responsible_worker": worker if any(worker.values()) else None,
    }


def validated(form) -> CreateReferral | None:
    """The API's model of the form, or None with each error put on its field."""
    try:
        return CreateReferral.model_validate(request_body(form))
    except ValidationError as exc:
        put_errors(form, [{"field": ".".join(str(part) for part in error["loc"]),
                           "message": "This field is required." if error["type"] == "missing" else error["msg"]}
                          for error in exc.errors(include_url=False, include_input=False)])
        return None


def put_errors(form, errors: list[dict]) -> None:
    """Put the API's `errors` ([{field: "client.email", message}]) on the form's fields."""
    for error in errors:
        name = "_".join(part for part in str(error["field"]).split(".") if not part.isdigit())
        field = form._fields.get(name) or form._fields.get(name.rsplit("_", 1)[0])
        message = MESSAGES.get(error["message"]) or FIELD_MESSAGES.get(name) or error["message"]
        if field is None:  # a whole-body error: shown in the summary alone
            form.form_errors.append(message)
            continue
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        if message not in field.errors:
            field.errors.append(message)
