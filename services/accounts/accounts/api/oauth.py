"""The token issuer: `POST /oauth/token` (client credentials) and the discovery documents.

This is the one endpoint of the hub that answers errors as RFC 6749 section 5.2 says
(`{"error": "invalid_client"}`), not as problem documents: OAuth client libraries expect that.
"""
from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from flask import jsonify, request
from flask_openapi3 import APIBlueprint, Tag

from shared.auth import ALGORITHMS, SCOPES
from shared.db import unit_of_work

from accounts import clients
from accounts.api.context import keys, runtime
from accounts.api.schemas import Jwks, OAuthError, OpenIdConfiguration, TokenResponse
from accounts.tokens import issue_token

tag = Tag(name="oauth", description="OAuth 2.0 client credentials, JWKS and discovery")
bp = APIBlueprint("oauth", __name__, abp_tags=[tag])
GRANT_TYPE = "client_credentials"
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
TOKEN_FORM = {
    "required": True,
    "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object",
        "required": ["grant_type"],
        "properties": {
            "grant_type": {"type": "string", "enum": [GRANT_TYPE]},
            "client_id": {"type": "string", "description": "Instead of HTTP Basic (client_secret_post)."},
            "client_secret": {"type": "string"},
            "scope": {"type": "string", "description": "Space-separated; a subset of the client's scopes. "
                                                       "Default: all of them."},
        },
    }}},
}


class OAuthProblem(Exception):
    def __init__(self, status: int, error: str, description: str, *, basic_challenge: bool = False):
        super().__init__(description)
        self.status, self.error, self.description, self.basic_challenge = status, error, description, basic_challenge


@bp.errorhandler(OAuthProblem)
def _oauth_error(exc: OAuthProblem):
    response = jsonify(error=exc.error, error_description=exc.description)
    response.status_code = exc.status
    response.headers["Cache-Control"] = "no-store"
    if exc.basic_challenge:
        response.headers["WWW-Authenticate"] = 'Basic realm="hub"'
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


@bp.post("/oauth/token", responses={200: TokenResponse, 400: OAuthError, 401: OAuthError},
         summary="Issue an access token (client credentials; HTTP Basic or form fields)",
         openapi_extensions={"requestBody": TOKEN_FORM})
def token():
    if request.mimetype != "application/x-www-form-urlencoded":
        raise OAuthProblem(400, "invalid_request", "Send the parameters form-encoded (application/x-www-form-urlencoded).")
    grant_type = _single("grant_type")
    if not grant_type:
        raise OAuthProblem(400, "invalid_request", "grant_type is required.")
    if grant_type != GRANT_TYPE:
        raise OAuthProblem(400, "unsupported_grant_type", f"Only {GRANT_TYPE} is supported.")
    requested = _single("scope")
    client_id, secret, basic = _client_credentials()
    with unit_of_work(runtime().sessions) as session:
        client = clients.authenticate(session, client_id, secret)
        if client is None:
            raise OAuthProblem(401, "invalid_client", "Unknown client, wrong secret, revoked client or "
                                                      "deactivated organisation.", basic_challenge=basic)
        scopes = requested.split() if requested and requested.strip() else list(client.scopes)
        if not set(scopes) <= set(client.scopes):
            raise OAuthProblem(400, "invalid_scope", "The requested scope exceeds the client's scopes.")
        scopes = [scope for scope in SCOPES if scope in scopes]
    # Signed after the commit: the key store uses sessions of its own (SQLite allows one writer).
    settings = runtime().settings
    access_token = issue_token(settings, keys(), client, scopes)
    response = jsonify(access_token=access_token, token_type="Bearer",
                       expires_in=settings.token_lifetime_seconds, scope=" ".join(scopes))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.get("/.well-known/jwks.json", responses={200: Jwks}, summary="The public keys that verify the hub's tokens")
def jwks():
    response = jsonify(keys().jwks())
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/.well-known/openid-configuration", responses={200: OpenIdConfiguration},
        summary="Discovery document (RFC 8414 fields) of the token issuer")
def openid_configuration():
    settings = runtime().settings
    base = settings.accounts_url.rstrip("/")
    return jsonify(OpenIdConfiguration(
        issuer=settings.issuer, jwks_uri=f"{base}/.well-known/jwks.json", token_endpoint=f"{base}/oauth/token",
        grant_types_supported=[GRANT_TYPE], token_endpoint_auth_methods_supported=AUTH_METHODS,
        id_token_signing_alg_values_supported=ALGORITHMS, scopes_supported=list(SCOPES),
        response_types_supported=["token"], subject_types_supported=["public"],
    ).model_dump(mode="json", exclude_none=True))
