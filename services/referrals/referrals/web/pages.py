"""The counsellors' pages: sign-in landing, dashboard, new referral, a referral, statistics,
accessibility statement.

Pages call referrals' use cases in-process with the signed-in person's verified token (the same
authorisation, validation, events and access log as the API); no client data ever goes in a URL:
referrals are addressed by id and everything personal travels in POST bodies.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import HTTPException
from wtforms import SelectChoice

from shared.problems import ProblemError
from shared.weblogin import access_token, current_user, display_name, login_required

from referrals import statistics, usecases
from referrals.api.schemas import ListQuery
from referrals.domain.lifecycle import Action
from referrals.web import directory, figures, i18n, labels, submission
from referrals.web.notices import notices_link
from referrals.web.forms import ACTION_FORMS, CommentForm, DirectorySearchForm, ReferralForm

#: Who may use the forms: the people of an organisation (operators have the console instead).
PEOPLE = ("counsellor", "org_admin")
STATEMENT_WRITTEN = date(2026, 11, 25)
CODE_OF = {"decline": "reason", "withdraw": "reason", "complete": "outcome"}

#: Templates and static files are the app's own (referrals/templates, referrals/static: Flask's defaults).
web = Blueprint("web", __name__)


def _runtime():
    return current_app.extensions["hub.runtime"]


def _locale() -> str:
    return str(get_locale())


@web.app_context_processor
def _page_context():
    signed_in = current_user() is not None
    return {"user_name": display_name() if signed_in else None, "labels": labels, "label": labels.label,
            "notices": notices_link(access_token()) if signed_in else None}


# --- errors as pages ------------------------------------------------------------------------

TITLES = {403: _l("No access"), 404: _l("Page not found")}
MESSAGES = {403: _l("Your role does not allow this page. Ask your organisation's admin if you need it."),
            404: _l("The page or referral does not exist, or your organisation is not a party to it.")}


def _error_page(status: int, title: str | None = None, message: str | None = None):
    return render_template("error.html", title=TITLES.get(status, title), message=MESSAGES.get(status, message)), status


@web.errorhandler(CSRFError)
def _csrf_failed(_exc):
    return _error_page(400, _("The form expired"), _("For your security a form is valid only for a while. Go back, "
                                                     "reload the page and send it again."))


@web.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return _error_page(exc.code or 500, exc.name, exc.description)


@web.errorhandler(ProblemError)
def _problem(exc: ProblemError):
    return _error_page(exc.status, exc.title, exc.detail)


web.add_url_rule("/language/<code>", "switch_language", i18n.switch_language)


def _validate(form) -> bool:
    """The form's own checks; a missing or stale CSRF token is the "form expired" page, not a field error."""
    if form.validate_on_submit():
        return True
    if form.meta.csrf and form.csrf_token.errors:
        raise CSRFError(form.csrf_token.errors[0])
    return False


# --- sign-in landing and dashboard ----------------------------------------------------------

@web.get("/")
def home():
    if current_user() is None:
        return render_template("signin.html")
    return dashboard()


@login_required(roles=PEOPLE)
def dashboard():
    principal, runtime = current_user(), _runtime()
    lists = {direction: usecases.list_page(runtime, principal, ListQuery(direction=direction, limit=100))["items"]
             for direction in ("incoming", "outgoing")}
    # Newest changes first; the API pages oldest-first for stable sync, a person wants the latest.
    for items in lists.values():
        items.sort(key=lambda item: item["updated_at"], reverse=True)
    names = directory.organisation_names(runtime, {i[k] for items in lists.values() for i in items
                                                   for k in ("from_organisation_id", "to_organisation_id")},
                                         _locale())
    return render_template("dashboard.html", incoming=lists["incoming"], outgoing=lists["outgoing"], names=names,
                           parse=datetime.fromisoformat)


# --- a new referral -------------------------------------------------------------------------

def _receivers(search: DirectorySearchForm) -> tuple[list, bool]:
    """The receivers to choose from, and whether the service directory answered."""
    principal, runtime = current_user(), _runtime()
    own = str(principal.organisation_id)
    if search.validate():
        try:
            return directory.search(access_token(), _locale(), need=search.need.data or None,
                                    municipality=search.municipality.data or None,
                                    language=search.language.data or None, excluding=own), True
        except directory.DirectoryUnavailable:
            pass
    return directory.active_organisations(runtime, _locale(), excluding=own), False


@web.route("/referrals/new", methods=["GET", "POST"])
@login_required(roles=PEOPLE)
def new_referral():
    search = DirectorySearchForm(request.args, meta={"csrf": False})
    form = ReferralForm()
    receivers, from_directory = _receivers(search)
    form.to_organisation_id.choices = [SelectChoice(r.organisation_id, r.name) for r in receivers]
    if request.method == "GET":
        form.idempotency_key.data = uuid.uuid4().hex
        form.consent_given_at.data = datetime.now(submission.HELSINKI).replace(second=0, microsecond=0,
                                                                               tzinfo=None)
    elif _validate(form):
        body = submission.validated(form)
        if body is not None:
            try:
                referral = usecases.create(_runtime(), current_user(), body, form.idempotency_key.data or None,
                                           "POST /referrals/new")
            except ProblemError as exc:
                if not exc.errors:
                    raise
                submission.put_errors(form, exc.errors)
            else:
                flash(_("The referral was sent."), "success")
                if referral.get("warnings"):
                    flash(_("Note: this client already has an open referral to the same organisation."), "warning")
                return redirect(url_for("web.referral", referral_id=referral["id"]))
    status = 422 if request.method == "POST" else 200
    return render_template("new_referral.html", form=form, search=search, receivers=receivers,
                           from_directory=from_directory), status


# --- one referral ---------------------------------------------------------------------------

def _referral_page(referral_id: uuid.UUID, *, forms: dict | None = None, status: int = 200):
    principal, runtime = current_user(), _runtime()
    referral = usecases.read(runtime, principal, referral_id, "GET /referrals/<id>")
    history = usecases.history(runtime, principal, referral_id, 200, None, "GET /referrals/<id>")["items"]
    names = directory.organisation_names(
        runtime, {referral["from_organisation_id"], referral["to_organisation_id"]}
        | {item["organisation_id"] for item in history}, _locale())
    forms = forms or {}
    actions = {}
    for action in referral["allowed_actions"]:
        if action in ACTION_FORMS:
            form = forms.get(action) or ACTION_FORMS[action](prefix=action, formdata=None)
            form.version.data = referral["version"]
            actions[action] = form
    comment = forms.get("comment") or CommentForm(prefix="comment", formdata=None)
    return render_template("referral.html", referral=referral, history=history, names=names, actions=actions,
                           comment=comment, parse=datetime.fromisoformat), status


@web.get("/referrals/<uuid:referral_id>")
@login_required(roles=PEOPLE)
def referral(referral_id: uuid.UUID):
    return _referral_page(referral_id)


@web.post("/referrals/<uuid:referral_id>/<any(accept, decline, start, complete, withdraw):action>")
@login_required(roles=PEOPLE)
def act(referral_id: uuid.UUID, action: str):
    form = ACTION_FORMS[action](prefix=action)
    if not _validate(form):
        return _referral_page(referral_id, forms={action: form}, status=422)
    code = getattr(form, CODE_OF[action]).data if action in CODE_OF else None
    note = ((form.note.data or "").strip() or None) if hasattr(form, "note") else None
    try:
        usecases.transition(_runtime(), current_user(), referral_id, Action(action), code=code, note=note,
                            if_match=f'"{form.version.data}"' if form.version.data else None,
                            endpoint=f"POST /referrals/<id>/{action}")
    except ProblemError as exc:
        if exc.status not in (409, 412):
            raise
        flash(_("The referral changed meanwhile: check its status and try again."), "warning")
    else:
        flash(_("Done: %(action)s.", action=labels.label(labels.ACTIONS, action)), "success")
    return redirect(url_for("web.referral", referral_id=referral_id))


@web.post("/referrals/<uuid:referral_id>/comments")
@login_required(roles=PEOPLE)
def comment(referral_id: uuid.UUID):
    form = CommentForm(prefix="comment")
    if not _validate(form):
        return _referral_page(referral_id, forms={"comment": form}, status=422)
    usecases.comment(_runtime(), current_user(), referral_id, form.text.data.strip())
    flash(_("Your comment was added."), "success")
    return redirect(url_for("web.referral", referral_id=referral_id) + "#history")


# --- statistics and the accessibility statement ---------------------------------------------

@web.get("/statistics")
@login_required(roles=PEOPLE + ("operator",))
def statistics_page():
    today = datetime.now(submission.HELSINKI).date()
    start = _date_arg("from", date(today.year, 1, 1))
    end = _date_arg("to", today)
    start, end = min(start, end), max(start, end)
    start = max(start, end - timedelta(days=366 * 5))  # the longest period the statistics answer for
    answer = statistics.statistics(_runtime(), current_user(), start, end)
    names = directory.organisation_names(_runtime(), figures.organisation_ids(answer), _locale())
    return render_template("statistics.html", start=start, end=end, key_figures=figures.key_figures(answer),
                           charts=figures.charts(answer, names))


def _date_arg(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return default


@web.get("/accessibility")
def accessibility():
    return render_template("accessibility.html", written=STATEMENT_WRITTEN,
                           feedback_email=current_app.config.get("HUB_ACCESSIBILITY_FEEDBACK_EMAIL",
                                                                 "saavutettavuus@hub.example"))


def install_web(app) -> None:
    """The web forms on `app`: languages, pages and their static files (after `install_login`)."""
    i18n.install(app)
    app.jinja_env.globals["csrf_token"] = generate_csrf
    app.register_blueprint(web)
