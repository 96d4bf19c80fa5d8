"""The notices pages for counsellors and organisation admins, signed in with `shared.weblogin`:
`/notices/` (their organisation's notices, newest first, with unread markers, "mark read" and
"mark all read"), `/notices/settings` (email address, language, frequency).

The pages call the same code as the API (`notices.reading`, `notices.preferences`) and validate the
settings form with the API's own request model, so the two cannot disagree. Forms POST with a CSRF
token and redirect back (no JavaScript needed); errors are listed in a summary linking to each
field and repeated by the field.
"""
from __future__ import annotations

import functools
import uuid
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from pydantic import ValidationError as PydanticError
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError

from shared.db import unit_of_work
from shared.languages import LANGUAGES
from shared.paging import PageQuery
from shared.problems import ProblemError
from shared.weblogin import current_user, display_name, login_required

from notifications.api.schemas import NotificationSettingsIn
from notifications.console.i18n import ENDONYMS, select_language
from notifications.models import EMAIL_FREQUENCIES
from notifications.notices import preferences, reading
from notifications.notices.reading import Reader
from notifications.notices.texts import code_label, kind_title, text

HELSINKI = ZoneInfo("Europe/Helsinki")
PAGE_SIZE = 25
#: The settings form's fields, in the order they appear (the error summary follows it).
FIELDS = ("email", "language", "email_frequency")
notice_pages = Blueprint("notice_pages", __name__, url_prefix="/notices", template_folder="templates")


def person_page(view):
    """Signed in as a counsellor or an organisation admin (anyone else: the 403 page)."""
    @functools.wraps(view)
    def checked(*args, **kwargs):
        g.reader = Reader.of(current_user())
        return view(*args, **kwargs)
    return login_required(roles=reading.PEOPLE_ROLES)(checked)


def _runtime():
    return current_app.extensions["hub.runtime"]


def _t(key: str, **values) -> str:
    return text(key, g.notices_lang, **values)


def _checked_csrf() -> None:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as exc:
        raise CSRFError(str(exc)) from exc


@notice_pages.before_request
def _language():
    g.notices_lang = select_language()


@notice_pages.context_processor
def _context():
    lang = g.notices_lang
    return {"t": _t, "lang": lang, "languages": list(ENDONYMS.items()), "csrf_token": generate_csrf,
            "user_name": display_name() if current_user() else None,
            "when": lambda value: format_datetime(value, "short", tzinfo=HELSINKI, locale=lang),
            "kind_title": lambda kind: kind_title(kind, lang), "code_label": lambda code: code_label(code, lang),
            "referral_url": lambda referral_id: f"{_runtime().settings.referral_pages_url}/referrals/{referral_id}",
            "referrals_url": _runtime().settings.referral_pages_url + "/"}


# --- errors as pages ---------------------------------------------------------------------------

def _error_page(status: int, title: str, message: str):
    return render_template("notices/error.html", title=title, message=message), status


@notice_pages.errorhandler(CSRFError)
def _csrf_failed(_exc):
    return _error_page(400, _t("form_expired"), _t("form_expired_text"))


def _status_page(status: int, title: str, message: str):
    if status == 403:
        return _error_page(403, _t("no_access"), _t("no_access_text"))
    if status == 404:
        return _error_page(404, _t("not_found"), _t("not_found_text"))
    return _error_page(status, title, message)


@notice_pages.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return _status_page(exc.code or 500, exc.name, exc.description or "")


@notice_pages.errorhandler(ProblemError)
def _problem(exc: ProblemError):
    return _status_page(exc.status, exc.title, exc.detail or "")


# --- pages -------------------------------------------------------------------------------------

@notice_pages.get("/")
@person_page
def notices():
    unread_only = request.args.get("unread") == "1"
    try:
        query = PageQuery(limit=PAGE_SIZE, cursor=request.args.get("cursor") or None)
    except PydanticError:
        abort(400)
    with _runtime().sessions() as session:
        page = reading.page(session, g.reader, query, unread_only)
        unread = reading.unread_count(session, g.reader)
    return render_template("notices/list.html", page=page, unread=unread, unread_only=unread_only,
                           retention_days=f"{_runtime().settings.notice_retention_days:g}")


@notice_pages.post("/<notice_id>/read")
@person_page
def mark_read(notice_id: str):
    _checked_csrf()
    try:
        parsed = uuid.UUID(notice_id)
    except ValueError:
        abort(404)
    with unit_of_work(_runtime().sessions) as session:
        reading.mark_read(session, g.reader, parsed)
    flash(_t("marked_read"), "success")
    return redirect(_back_to_list())


@notice_pages.post("/read-all")
@person_page
def mark_all_read():
    _checked_csrf()
    with unit_of_work(_runtime().sessions) as session:
        reading.mark_all_read(session, g.reader)
    flash(_t("marked_all_read"), "success")
    return redirect(_back_to_list())


def _back_to_list() -> str:
    return url_for(".notices", unread="1") if request.form.get("unread") == "1" else url_for(".notices")


@notice_pages.route("/settings", methods=["GET", "POST"])
@person_page
def settings_page():
    runtime = _runtime()
    ring = runtime.extras["keyring"]
    errors: dict[str, str] = {}
    if request.method == "POST":
        _checked_csrf()
        typed = {"email": request.form.get("email", "").strip() or None,
                 "language": request.form.get("language"), "email_frequency": request.form.get("email_frequency")}
        try:
            chosen = NotificationSettingsIn.model_validate(typed)
        except PydanticError as exc:
            errors = _field_errors(exc)
            values = typed
        else:
            with unit_of_work(runtime.sessions) as session:
                preferences.save(session, ring, g.reader.person_id, **chosen.model_dump())
            flash(_t("saved"), "success")
            return redirect(url_for(".settings_page"))
    else:
        with runtime.sessions() as session:
            values = preferences.read(session, ring, g.reader.person_id, default_language=g.notices_lang)
    return render_template("notices/settings.html", values=values, errors=errors, fields=FIELDS,
                           languages_for_email=LANGUAGES, frequencies=EMAIL_FREQUENCIES), 422 if errors else 200


def _field_errors(exc: PydanticError) -> dict[str, str]:
    """The form's fields with an error, worded for people (pydantic's messages are for programmers)."""
    found = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
    return {field: _t("bad_email" if field == "email" else "bad_choice") for field in FIELDS if field in found}


def install_notice_pages(app) -> None:
    """The notices pages on `app` (after `install_login`, which provides the session and /auth routes)."""
    app.register_blueprint(notice_pages)
