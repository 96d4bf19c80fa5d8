"""The people's sign-in pages: the OAuth2 authorization endpoint (RFC 6749 4.1 with PKCE, RFC 7636),
the password and TOTP steps, sign-out, and accepting an invitation.

`GET /oauth/authorize` checks the web client and its redirect URI first: an unknown pair is shown
an error page and never redirected to (no open redirect). A person with a complete session gets a
code at once (single sign-on between the web forms); anyone else the sign-in page. The pending
request waits in the signed session cookie; the sign-in itself is a server-side `WebSession`.
"""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import segno

from flask import (Blueprint, Response, current_app, redirect, render_template, request, session, url_for)
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import select

from shared.db import unit_of_work, utcnow
from shared.weblogin import secret_key

from accounts import people, signin
from accounts.models import Person
from accounts.ratelimit import Exceeded, Limit
from accounts.web.texts import ENDONYMS, LANGUAGES, TEXTS, current_language

bp = Blueprint("signin", __name__, template_folder="../templates", static_folder="../static",
               static_url_path="/static/accounts")
AUTHZ, SID = "accounts.authz", "accounts.sid"


class CsrfForm(FlaskForm):
    """Only the CSRF token: the fields are checked by the views, so errors come in the page's language."""


def install(app) -> None:
    settings = app.extensions["hub.runtime"].settings
    app.secret_key = secret_key("accounts", settings.var_dir)
    app.config.update(SESSION_COOKIE_NAME="accounts_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.accounts_url.startswith("https"),
                      # Referer-based checks would fail: every page sends Referrer-Policy: no-referrer.
                      WTF_CSRF_SSL_STRICT=False)
    app.register_blueprint(bp)


# -- helpers ------------------------------------------------------------------------------------

def _rt():
    return current_app.extensions["hub.runtime"]


def _settings():
    return _rt().settings


def _page(template: str, title_key: str, *, status: int = 200, errors: list[tuple[str, str]] = (), **context):
    lang = current_language()
    texts = TEXTS[lang]
    args = {**request.view_args, **request.args.to_dict()} if request.method == "GET" else dict(request.view_args)
    switch = [(code, ENDONYMS[code], url_for(request.endpoint, **{**args, "lang": code})) for code in LANGUAGES]
    body = render_template(f"accounts/{template}", t=texts, lang=lang, title=texts[title_key], languages=switch,
                           errors=[(field, texts[key]) for field, key in errors],
                           error_fields={field for field, _ in errors}, form=CsrfForm(), **context)
    return Response(body, status=status, mimetype="text/html")


@bp.after_request
def _may_post_back_to_the_web_clients(response: Response) -> Response:
    """CSP `form-action` also governs the redirect after a form post (Chrome), and the TOTP form
    ends in a redirect to the web client: allow exactly the registered clients' origins."""
    origins = sorted({_origin(uri) for uri in _settings().web_client_redirects.values()})
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
        f"form-action 'self' {' '.join(origins)}; base-uri 'none'")
    response.headers["Cache-Control"] = "no-store"
    return response


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def _redirect_with(uri: str, **params) -> Response:
    separator = "&" if urlsplit(uri).query else "?"
    return redirect(uri + separator + urlencode({k: v for k, v in params.items() if v is not None}), code=302)


def _limited(name: str) -> bool:
    try:
        current_app.extensions["accounts.limiter"].hit(Limit(name, _settings().login_rate_per_address, 60),
                                                       request.remote_addr or "unknown")
        return False
    except Exceeded:
        return True


def _finish(person_id) -> Response:
    """After a complete sign-in: a code for the pending request, or a plain confirmation."""
    authz = session.pop(AUTHZ, None)
    if authz is None:
        return _page("message.html", "done_title", text_key="done_text")
    with unit_of_work(_rt().sessions) as db:
        code = signin.issue_code(db, _settings(), person_id, client_id=authz["client_id"],
                                 redirect_uri=authz["redirect_uri"], code_challenge=authz["code_challenge"])
    return _redirect_with(authz["redirect_uri"], code=code, state=authz.get("state"))


# -- the authorization endpoint -------------------------------------------------------------------

@bp.get("/oauth/authorize")
def authorize():
    args = request.args
    client_id, redirect_uri = args.get("client_id", ""), args.get("redirect_uri", "")
    if _settings().web_client_redirects.get(client_id) != redirect_uri or not redirect_uri:
        return _page("message.html", "bad_request_title", status=400, text_key="bad_request_text")
    state = args.get("state")
    if state is not None and len(state) > 500:
        return _redirect_with(redirect_uri, error="invalid_request", error_description="state is too long.")
    if args.get("response_type") != "code":
        return _redirect_with(redirect_uri, error="unsupported_response_type", state=state)
    challenge = args.get("code_challenge", "")
    if args.get("code_challenge_method") != "S256" or not signin.CHALLENGE.match(challenge):
        return _redirect_with(redirect_uri, error="invalid_request", state=state,
                              error_description="PKCE is required: code_challenge with code_challenge_method=S256.")
    session[AUTHZ] = {"client_id": client_id, "redirect_uri": redirect_uri, "state": state,
                      "code_challenge": challenge}
    with unit_of_work(_rt().sessions) as db:
        web_session = signin.current(db, _settings(), session.get(SID))
        person_id = web_session.person_id if web_session is not None and web_session.stage == "complete" else None
    if person_id is not None:
        return _finish(person_id)
    return _page("signin.html", "signin_title")


@bp.get("/login")
def login_form():
    return _page("signin.html", "signin_title")


@bp.post("/login")
def login():
    form = CsrfForm()
    if not form.validate_on_submit():
        return _page("signin.html", "signin_title", errors=[("username", "err_csrf")])
    username = request.form.get("username", "").strip().lower()[:64]
    password = request.form.get("password", "")[:256]
    errors = ([("username", "err_username")] if not username else []) + \
             ([("password", "err_password")] if not password else [])
    if errors:
        return _page("signin.html", "signin_title", errors=errors, username=username)
    if _limited("login-address"):
        return _page("signin.html", "signin_title", status=429, errors=[("username", "err_rate")], username=username)
    with unit_of_work(_rt().sessions) as db:
        person = db.scalar(select(Person).where(Person.username == username))
        ok = people.password_matches(person, password)
        usable = people.may_sign_in(db, person)
        if ok and usable:
            raw = signin.start(db, _settings(), person)
        elif person is not None and person.active and not people.locked(person):
            people.record_failure(db, person)
    if not (ok and usable):
        return _page("signin.html", "signin_title", errors=[("username", "err_credentials")], username=username)
    session[SID] = raw
    return redirect(url_for("signin.totp_form"), code=303)


@bp.get("/login/totp")
def totp_form():
    with unit_of_work(_rt().sessions) as db:
        web_session = signin.current(db, _settings(), session.get(SID))
    if web_session is None or web_session.stage != "password":
        return redirect(url_for("signin.login_form"), code=303)
    return _page("totp.html", "totp_title")


@bp.post("/login/totp")
def totp():
    form = CsrfForm()
    if not form.validate_on_submit():
        return _page("totp.html", "totp_title", errors=[("code", "err_csrf")])
    if _limited("login-address"):
        return _page("totp.html", "totp_title", status=429, errors=[("code", "err_rate")])
    keyring = current_app.extensions["accounts.keys"].keyring()
    with unit_of_work(_rt().sessions) as db:
        web_session = signin.current(db, _settings(), session.get(SID))
        if web_session is None or web_session.stage != "password":
            return redirect(url_for("signin.login_form"), code=303)
        person = db.get(Person, web_session.person_id)
        if people.locked(person):
            web_session.ended_at, verified, locked = utcnow(), False, True
        else:
            verified = people.verify_totp(keyring, person, request.form.get("code", "")[:20])
            if verified:
                people.record_success(person)
                web_session.stage = "complete"
            else:
                people.record_failure(db, person)
                if people.locked(person):
                    web_session.ended_at = utcnow()
            locked = people.locked(person)
        person_id = person.id
    if locked:
        session.pop(SID, None)
        return _page("signin.html", "signin_title", errors=[("username", "err_locked")])
    if not verified:
        return _page("totp.html", "totp_title", errors=[("code", "err_code")])
    return _finish(person_id)


@bp.get("/oauth/logout")
def logout():
    with unit_of_work(_rt().sessions) as db:
        signin.end(db, session.get(SID))
    lang = session.get("hub.lang")
    session.clear()
    if lang:
        session["hub.lang"] = lang
    target = request.args.get("post_logout_redirect_uri", "")
    allowed = {_origin(uri) for uri in _settings().web_client_redirects.values()}
    if target and _origin(target) in allowed and urlsplit(target).scheme in ("http", "https"):
        return redirect(target, code=302)
    return _page("message.html", "signed_out_title", text_key="signed_out_text")


# -- invitations --------------------------------------------------------------------------------

@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    keyring = current_app.extensions["accounts.keys"].keyring()
    errors: list[tuple[str, str]] = []
    with unit_of_work(_rt().sessions) as db:
        invite = people.open_invitation(db, token[:100])
        if invite is None:
            return _page("message.html", "invitation_invalid_title", status=404, text_key="invitation_invalid_text")
        person = db.get(Person, invite.person_id)
        if invite.totp_secret is None:  # offered once, kept until the invitation is used
            invite.totp_key_id, invite.totp_secret = people.seal(keyring, people.new_totp_secret(), invite.token_hash)
        secret = people.unseal(keyring, invite.totp_key_id, invite.totp_secret, invite.token_hash)
        username = person.username
        if request.method == "POST":
            if not CsrfForm().validate_on_submit():
                errors.append(("password", "err_csrf"))
            else:
                password, again = request.form.get("password", "")[:256], request.form.get("password_again", "")[:256]
                problem = people.password_problem(password, username)
                if problem:
                    errors.append(("password", f"err_{problem}"))
                elif password != again:
                    errors.append(("password_again", "err_mismatch"))
                step = people.matching_step(secret, request.form.get("code", "")[:20], utcnow())
                if step is None:
                    errors.append(("code", "err_code"))
            if not errors:
                people.enrol(db, keyring, person, password, secret, used_step=step)
                invite.used_at = utcnow()
                signin.end_all(db, person.id)
    if request.method == "POST" and not errors:
        return _page("message.html", "enrolled_title", text_key="enrolled_text")
    otpauth = people.provisioning_uri(secret, username)
    return _page("invitation.html", "invitation_title", errors=errors, username=username,
                 secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)), otpauth=otpauth,
                 qr_code=_qr_code(otpauth, TEXTS[current_language()]["qr_label"]))


def _qr_code(uri: str, label: str) -> Markup:
    """The enrolment URI as an inline SVG QR code: scanned by the phone's app, no image request, no
    script (the CSP allows neither), black on white so that it scans in a dark theme too."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff", svgclass="qr-code",
                                                 lineclass=None, omitsize=False)
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))
