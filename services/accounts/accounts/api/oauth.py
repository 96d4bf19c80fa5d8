"""The token issuer: `POST /oauth/token` (client credentials for systems; authorization code with
PKCE for people signing in to the web forms) and the discovery documents.

This is the one endpoint of the hub that answers errors as RFC 6749 section 5.2 says
(`{"error": "invalid_client"}`), not as problem documents: OAuth client libraries expect that.
It is rate limited per remote address and per client id, and a client id is locked out for a
while after repeated wrong secrets (`accounts.ratelimit`, shared by every worker).
"""
from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from flask import jsonify, request
from flask_openapi3 import APIBlueprint, Tag

from shared.auth import ALGORITHMS, SCOPES
from shared.db import unit_of_work

from accounts import clients, signin
from accounts.api.context import keys, limiter, runtime
from accounts.api.schemas import Jwks, OAuthError, OpenIdConfiguration, TokenResponse
from accounts.ratelimit import Exceeded, Limit
from accounts.tokens import issue_person_token, issue_token

tag = Tag(name="oauth", description="OAuth 2.0 client credentials, JWKS and discovery")
bp = APIBlueprint("oauth", __name__, abp_tags=[tag])
GRANT_TYPE, CODE_GRANT = "client_credentials", "authorization_code"
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
TOKEN_FORM = {
    "required": True,
    "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object",
        "required": ["grant_type"],
        "properties": {
            "grant_type": {"type": "string", "enum": [GRANT_TYPE, CODE_GRANT]},
            "client_id": {"type": "string", "description": "Instead of HTTP Basic (client_secret_post); "
                                                           "the web client's id for authorization_code."},
            "client_secret": {"type": "string"},
            "scope": {"type": "string", "description": "client_credentials: space-separated, a subset of the "
                                                       "client's scopes. Default: all of them."},
            "code": {"type": "string", "description": "authorization_code: the code from /oauth/authorize."},
            "redirect_uri": {"type": "string", "description": "authorization_code: as given to /oauth/authorize."},
            "code_verifier": {"type": "string", "description": "authorization_code: the PKCE verifier (S256)."},
        },
    }}},
}


class OAuthProblem(Exception):
    def __init__(self, status: int, error: str, description: str, *, basic_challenge: bool = False):
        super().__init__(description)
        self.status, self.error, self.description, self.basic_challenge = status, error, description, basic_challenge
        self.retry_after: int | None = None


@bp.errorhandler(OAuthProblem)
def _oauth_error(exc: OAuthProblem):
    response = jsonify(error=exc.error, error_description=exc.description)
    response.status_code = exc.status
    response.headers["Cache-Control"] = "no-store"
    if exc.basic_challenge:
        response.headers["WWW-Authenticate"] = 'Basic realm="hub"'
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _single(name: str) -> str | None:
    values = request.form.getlist(name)
    if len(values) > 1:
        raise OAuthProblem(400, "invalid_request", f"{name} is given more than once.")
    return values[0] if values else None


def _client_credentials() -> tuple[str, str, bool]:
    """(client_id, secret, via HTTP Basic) from exactly one of the two allowed methods."""
    header = request.headers.get("Authorization", "")
    form_id, form_secret = _single("client_id"), _single("client_secret")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() == "basic":
        if form_secret is not None:
            raise OAuthProblem(400, "invalid_request", "Authenticate with HTTP Basic or form fields, not both.")
        try:
            client_id, separator, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthProblem(401, "invalid_client", "Malformed HTTP Basic credentials.", basic_challenge=True) from None
        if not separator:
            raise OAuthProblem(401, "invalid_client", "Malformed HTTP Basic credentials.", basic_challenge=True)
        # RFC 6749 section 2.3.1: both parts are form-urlencoded before Basic encoding.
        return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " ")), True
    if form_id and form_secret:
        return form_id, form_secret, False
    raise OAuthProblem(401, "invalid_client", "Client authentication is required.", basic_challenge=True)


def _limits() -> tuple[Limit, Limit, Limit]:
    settings = runtime().settings
    return (Limit("token-address", settings.token_rate_per_address, 60),
            Limit("token-client", settings.token_rate_per_client, 60),
            Limit("token-failures", settings.client_lockout_failures, settings.client_lockout_seconds))


def _too_many(exc: Exceeded) -> OAuthProblem:
    locked = exc.limit.name == "token-failures"
    problem = OAuthProblem(429, "temporarily_unavailable",
                           "Too many wrong secrets for this client: try again later." if locked
                           else "Too many token requests: slow down.")
    problem.retry_after = exc.retry_after
    return problem


@bp.post("/oauth/token", responses={200: TokenResponse, 400: OAuthError, 401: OAuthError, 429: OAuthError},
         summary="Issue an access token: client credentials (HTTP Basic or form fields), or a person's "
                 "authorization code with its PKCE verifier. 429 with Retry-After when rate limited",
         openapi_extensions={"requestBody": TOKEN_FORM})
def token():
    per_address, per_client, failures = _limits()
    try:
        limiter().hit(per_address, request.remote_addr or "unknown")
    except Exceeded as exc:
        raise _too_many(exc) from None
    if request.mimetype != "application/x-www-form-urlencoded":
        raise OAuthProblem(400, "invalid_request", "Send the parameters form-encoded (application/x-www-form-urlencoded).")
    grant_type = _single("grant_type")
    if not grant_type:
        raise OAuthProblem(400, "invalid_request", "grant_type is required.")
    if grant_type == CODE_GRANT:
        return _authorization_code(per_client)
    if grant_type != GRANT_TYPE:
        raise OAuthProblem(400, "unsupported_grant_type", f"Only {GRANT_TYPE} and {CODE_GRANT} are supported.")
    requested = _single("scope")
    client_id, secret, basic = _client_credentials()
    try:
        limiter().hit(per_client, client_id)
        limiter().check(failures, client_id)
    except Exceeded as exc:
        raise _too_many(exc) from None
    with unit_of_work(runtime().sessions) as session:
        client = clients.authenticate(session, client_id, secret)
    if client is None:
        try:
            limiter().hit(failures, client_id)
        except Exceeded:
            pass  # this attempt is refused as a wrong secret; the next ones meet the lockout
        raise OAuthProblem(401, "invalid_client", "Unknown client, wrong secret, revoked client or "
                                                  "deactivated organisation.", basic_challenge=basic)
    scopes = requested.split() if requested and requested.strip() else list(client.scopes)
    if not set(scopes) <= set(client.scopes):
        raise OAuthProblem(400, "invalid_scope", "The requested scope exceeds the client's scopes.")
    scopes = [scope for scope in SCOPES if scope in scopes]
    # Signed after the commit: the key store uses sessions of its own (SQLite allows one writer).
    return _token_response(issue_token(runtime().settings, keys(), client, scopes), scopes)


def _authorization_code(per_client: Limit):
    """RFC 6749 4.1.3 with RFC 7636: a public web client (no secret) proves the code with PKCE."""
    settings = runtime().settings
    client_id, code = _single("client_id"), _single("code")
    redirect_uri, verifier = _single("redirect_uri"), _single("code_verifier")
    if not (client_id and code and redirect_uri and verifier):
        raise OAuthProblem(400, "invalid_request", "client_id, code, redirect_uri and code_verifier are required.")
    if client_id not in settings.web_client_redirects:
        raise OAuthProblem(401, "invalid_client", "Unknown web client.")
    try:
        limiter().hit(per_client, client_id)
    except Exceeded as exc:
        raise _too_many(exc) from None
    refused = None
    with unit_of_work(runtime().sessions) as session:  # commits even when refused: the code is used up
        try:
            person = signin.redeem(session, code, client_id=client_id, redirect_uri=redirect_uri, verifier=verifier)
        except signin.InvalidGrant as exc:
            refused = str(exc)
    if refused:
        raise OAuthProblem(400, "invalid_grant", refused)
    access_token, scopes = issue_person_token(settings, keys(), person, client_id)
    # The person's name, for the web page's header, goes beside the token (an extra parameter, as
    # RFC 6749 5.1 allows) and never into it: tokens travel to every service and into logs' reach.
    return _token_response(access_token, scopes, name=person.name)


def _token_response(access_token: str, scopes: list[str], **extra: str):
    response = jsonify(access_token=access_token, token_type="Bearer",
                       expires_in=runtime().settings.token_lifetime_seconds, scope=" ".join(scopes), **extra)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.get("/.well-known/jwks.json", responses={200: Jwks}, summary="The public keys that verify the hub's tokens")
def jwks():
    response = jsonify(keys().jwks())
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/.well-known/openid-configuration", responses={200: OpenIdConfiguration},
        summary="Discovery document (RFC 8414 fields) of the token issuer and the people's sign-in")
def openid_configuration():
    settings = runtime().settings
    base = settings.accounts_url.rstrip("/")
    return jsonify(OpenIdConfiguration(
        issuer=settings.issuer, jwks_uri=f"{base}/.well-known/jwks.json", token_endpoint=f"{base}/oauth/token",
        authorization_endpoint=f"{base}/oauth/authorize", end_session_endpoint=f"{base}/oauth/logout",
        grant_types_supported=[GRANT_TYPE, CODE_GRANT], token_endpoint_auth_methods_supported=AUTH_METHODS,
        id_token_signing_alg_values_supported=ALGORITHMS, scopes_supported=list(SCOPES),
        response_types_supported=["code"], subject_types_supported=["public"],
        code_challenge_methods_supported=["S256"],
    ).model_dump(mode="json", exclude_none=True))
