"""The console's pages: overview, dead letters (replay/discard), failing webhook endpoints, a
referral's timeline. Operators only (role `operator` with scope `ops:read`, as the JSON API asks).

Figures of the whole hub are read in-process (`notifications.ops`); dead letters are each service's
own and are read and settled there over HTTP with the operator's token (`console.remote`). Forms
that change something POST with a CSRF token and redirect back (works without JavaScript).
"""
from __future__ import annotations

import functools
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from pydantic import ValidationError as PydanticError
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError

from shared.ops import OPS_SCOPE
from shared.paging import PageQuery, as_datetime, keyset_page
from shared.problems import ProblemError
from shared.weblogin import access_token, current_user, display_name, login_required

from notifications.console import i18n, remote
from notifications.models import Webhook
from notifications.ops import hub_state
from notifications.ops.timeline import failing_endpoint, failing_endpoints_statement, referral_timeline

HELSINKI = ZoneInfo("Europe/Helsinki")
console = Blueprint("ops_console", __name__, url_prefix="/console", template_folder="templates")


def operator_page(view):
    """Signed in as an operator whose token may read the ops figures (else the 403 page)."""
    @functools.wraps(view)
    def checked(*args, **kwargs):
        if not current_user().has_scope(OPS_SCOPE):
            abort(403)
        return view(*args, **kwargs)
    return login_required(roles=("operator",))(checked)


def _runtime():
    return current_app.extensions["hub.runtime"]


def _t(key: str) -> str:
    return i18n.text(key, g.console_lang)


def _when(value) -> str:
    """A time in Helsinki, from a datetime or the ISO text of a service's JSON."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(HELSINKI).strftime("%Y-%m-%d %H:%M:%S")


@console.before_request
def _language():
    g.console_lang = i18n.select_language()


@console.context_processor
def _context():
    return {"t": _t, "lang": g.console_lang, "languages": list(i18n.ENDONYMS.items()), "when": _when,
            "csrf_token": generate_csrf, "user_name": display_name() if current_user() else None}


# --- errors as pages ---------------------------------------------------------------------------

def _error_page(status: int, title: str, message: str):
    return render_template("console/error.html", title=title, message=message), status


@console.errorhandler(CSRFError)
def _csrf_failed(_exc):
    return _error_page(400, _t("form_expired"), _t("form_expired_text"))


@console.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    if exc.code == 403:
        return _error_page(403, _t("no_access"), _t("no_access_text"))
    return _error_page(exc.code or 500, exc.name, exc.description or "")


@console.errorhandler(ProblemError)
def _problem(exc: ProblemError):
    return _error_page(exc.status, exc.title, exc.detail or "")


# --- pages -------------------------------------------------------------------------------------

@console.get("/")
@operator_page
def overview():
    runtime = _runtime()
    services = hub_state.services(runtime, f"Bearer {access_token()}")
    try:
        queues = hub_state.queue_depths(runtime.settings.broker_url)
    except Exception:  # the broker is down: the page says so instead of failing
        queues = None
    return render_template("console/overview.html", services=services, queues=queues)


@console.get("/dead-letters")
@operator_page
def dead_letters():
    answers = remote.dead_letters(remote.base_urls(_runtime().settings, request.host_url), access_token())
    return render_template("console/dead_letters.html", answers=answers)


@console.post("/dead-letters/<service>/<event_id>/<action>")
@operator_page
def settle(service: str, event_id: str, action: str):
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as exc:
        raise CSRFError(str(exc)) from exc
    urls = remote.base_urls(_runtime().settings, request.host_url)
    if service not in urls or action not in remote.ACTIONS or len(event_id) > 64:
        abort(404)
    status = remote.settle(urls[service], access_token(), event_id, action)
    if status == 200:
        flash(_t("replayed" if action == "replay" else "discarded"), "success")
    else:
        flash(f"{_t('not_settled')} ({service}: {status or _t('unreachable')})", "error")
    return redirect(url_for(".dead_letters"))


@console.get("/webhooks/failing")
@operator_page
def failing_webhooks():
    try:
        query = PageQuery(limit=50, cursor=request.args.get("cursor") or None)
    except PydanticError:
        abort(400)
    with _runtime().sessions() as session:
        page = keyset_page(session, failing_endpoints_statement(), [Webhook.created_at, Webhook.id],
                           [as_datetime, uuid.UUID], query, scalars=False, convert=failing_endpoint)
    return render_template("console/failing_webhooks.html", page=page)


@console.get("/timeline")
@operator_page
def timeline():
    typed = request.args.get("referral_id", "").strip()
    found, invalid = None, False
    if typed:
        try:
            referral_id = uuid.UUID(typed)
        except ValueError:
            invalid = True
        else:
            runtime = _runtime()
            found = referral_timeline(runtime, referral_id, runtime.settings.tracing_ui_url)
    return render_template("console/timeline.html", typed=typed, invalid=invalid, found=found)


def install_console(app) -> None:
    """The console on `app` (after `install_login`, which provides the session and /auth routes)."""
    app.register_blueprint(console)
