"""People's browser sign-in for a service's web pages: an OAuth2 public client of accounts.

The authorization-code flow with PKCE (S256): accounts authenticates the person (password and the
second factor) and hands back a code; this service exchanges it for the person's access token and
keeps the token in the Flask session. The session cookie is signed (not encrypted), HttpOnly,
SameSite=Lax and Secure on https; the token in it holds ids and roles, never a client's data.

Used by referrals' web forms and notifications' operator console:

    install_login(app, client_id="referrals-web")      # after app.extensions["hub.runtime"] is set

    @bp.get("/")
    @login_required(roles=("counsellor",))
    def dashboard():
        principal = current_user()

Missing roles abort with 403 (a blueprint's own 403 handler renders it); a missing or expired
token redirects to `/auth/login?next=<this path>`.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import os
import secrets
from pathlib import Path
from urllib.parse import urlencode

import httpx
import jwt
from flask import Blueprint, Flask, abort, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from shared.auth import Principal
from shared.problems import ProblemError

TOKEN, STATE, VERIFIER, NEXT, NAME = "hub.token", "hub.oauth_state", "hub.oauth_verifier", "hub.next", "hub.name"
EXTENSION = "hub.weblogin"
#: What outlives signing in and out: the person's choice of page language.
PREFERENCES = ("hub.lang",)


class _SessionInterface(SecureCookieSessionInterface):
    """`Secure` whenever the request came over https (or always, with SESSION_COOKIE_SECURE)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


class LoginClient:
    """What the login routes need to know of accounts; `http` can be replaced in tests."""

    def __init__(self, *, client_id: str, accounts_url: str, public_accounts_url: str | None,
                 http: httpx.Client | None = None):
        self.client_id = client_id
        self.accounts_url = accounts_url.rstrip("/")
        # Where the browser goes may differ from where this service reaches accounts (proxies, containers).
        self.public_accounts_url = (public_accounts_url or accounts_url).rstrip("/")
        self.http = http or httpx.Client(timeout=10.0)

    def exchange(self, code: str, redirect_uri: str, code_verifier: str) -> tuple[str, str | None]:
        """The person's access token and their name (sent beside the token, never in it)."""
        response = self.http.post(self.accounts_url + "/oauth/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "client_id": self.client_id, "code_verifier": code_verifier})
        if response.status_code != 200:
            raise ProblemError(401, "Unauthorized", "The sign-in could not be completed.", code="login-failed")
        answer = response.json()
        token, name = answer.get("access_token"), answer.get("name")
        if not isinstance(token, str):
            raise ProblemError(502, "Bad Gateway", "accounts answered without an access token.")
        return token, name if isinstance(name, str) and name.strip() else None


def secret_key(service: str, var_dir: Path) -> str:
    """`<SERVICE>_SECRET_KEY`, else a random key kept in `var_dir` (made once, readable by us only)."""
    from_env = os.environ.get(f"{service.upper()}_SECRET_KEY")
    if from_env:
        return from_env
    path = Path(var_dir) / f"{service}-secret-key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()  # another worker made it first
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def install_login(app: Flask, *, client_id: str, http: httpx.Client | None = None) -> None:
    """Register /auth/login, /auth/callback and /auth/logout, and harden the session cookie."""
    settings = app.extensions["hub.runtime"].settings
    app.secret_key = secret_key(settings.service_name, settings.var_dir)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME=f"{settings.service_name}_session")
    app.config.setdefault("SESSION_COOKIE_SECURE", False)
    app.session_interface = _SessionInterface()
    app.extensions[EXTENSION] = LoginClient(client_id=client_id, accounts_url=settings.accounts_url,
                                            public_accounts_url=os.environ.get("ACCOUNTS_PUBLIC_URL"), http=http)
    app.register_blueprint(_blueprint())


def _client() -> LoginClient:
    return current_app.extensions[EXTENSION]


def _local_path(target: str | None) -> str:
    """Only a path on this site may be a `next` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _clear_session() -> None:
    kept = {key: session[key] for key in PREFERENCES if key in session}
    session.clear()
    session.update(kept)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _blueprint() -> Blueprint:
    bp = Blueprint("weblogin", __name__, url_prefix="/auth")

    @bp.get("/login")
    def login():
        client = _client()
        state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        session[STATE], session[VERIFIER] = state, verifier
        session[NEXT] = _local_path(request.args.get("next"))
        query = urlencode({"response_type": "code", "client_id": client.client_id,
                           "redirect_uri": url_for("weblogin.callback", _external=True), "state": state,
                           "code_challenge": _challenge(verifier), "code_challenge_method": "S256"})
        return redirect(f"{client.public_accounts_url}/oauth/authorize?{query}")

    @bp.get("/callback")
    def callback():
        state, verifier = session.pop(STATE, None), session.pop(VERIFIER, None)
        target = session.pop(NEXT, "/")
        if not state or not secrets.compare_digest(state, request.args.get("state", "")):
            abort(400, "The sign-in state does not match; please sign in again.")
        code = request.args.get("code")
        if not code or verifier is None:
            abort(400, "The sign-in was cancelled or refused.")
        token, name = _client().exchange(code, url_for("weblogin.callback", _external=True), verifier)
        current_app.extensions["hub.auth"].verify(token)  # a token we cannot verify is no sign-in
        _clear_session()  # a fresh session at sign-in: nothing carried over but preferences
        session[TOKEN] = token
        if name:
            session[NAME] = name
        return redirect(_local_path(target))

    @bp.post("/logout")
    def logout():
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from exc
        _clear_session()
        client = _client()
        query = urlencode({"client_id": client.client_id, "post_logout_redirect_uri": url_for("weblogin.signed_out",
                                                                                             _external=True)})
        return redirect(f"{client.public_accounts_url}/oauth/logout?{query}")

    @bp.get("/signed-out")
    def signed_out():
        return redirect("/")

    return bp


def access_token() -> str | None:
    """The signed-in person's access token, for calling the hub's APIs on their behalf."""
    return session.get(TOKEN)


def current_user() -> Principal | None:
    """The signed-in person, or None when nobody is (or the token has expired or been revoked)."""
    if "hub_web_user" in g:
        return g.hub_web_user  # verified once per request
    token, principal = access_token(), None
    if token is not None:
        try:
            principal = current_app.extensions["hub.auth"].verify(token)
        except ProblemError:
            session.pop(TOKEN, None)
    g.hub_web_user = principal
    return principal


def display_name() -> str | None:
    """The person's name for the page header: as accounts gave it at sign-in (beside the token)."""
    token = access_token()
    if token is None:
        return None
    if session.get(NAME):
        return session[NAME]
    claims = jwt.decode(token, options={"verify_signature": False})
    return claims.get("name") or claims.get("preferred_username") or claims.get("sub")


def login_required(roles: tuple[str, ...] | None = None):
    """Sign-in first (redirect back here afterwards); with `roles`, one of them is needed (403)."""
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_user()
            if principal is None:
                path = request.full_path.rstrip("?") if request.method == "GET" else request.path
                return redirect(url_for("weblogin.login", next=path))
            if roles and not principal.roles & set(roles):
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorator
