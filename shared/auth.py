"""Verifying the hub's access tokens (JWTs signed by accounts) in every service.

Keys come from accounts' JWKS, cached, and fetched again when a token names an unknown `kid`
(at most every few seconds, so garbage tokens cannot make us hammer accounts). accounts verifies
its own tokens with the same code, with its local keys as the key source.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import jwt
from flask import current_app, g, request

from shared.problems import ProblemError

ALGORITHMS = ["RS256"]
SCOPES = ("referrals:read", "referrals:write", "webhooks:manage", "organisations:admin", "ops:read")
ROLES = ("operator", "org_admin", "counsellor")


@dataclass(frozen=True)
class Principal:
    subject: str
    organisation_id: str | None
    scopes: frozenset[str]
    roles: frozenset[str]
    token_id: str
    client_id: str | None
    issued_at: int

    @property
    def is_operator(self) -> bool:
        return "operator" in self.roles

    @property
    def is_person(self) -> bool:
        return bool(self.roles - {"operator"}) or (self.is_operator and self.client_id is None)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class JwksKeySource:
    """Signing keys from accounts' JWKS endpoint, cached; refreshed on an unknown kid."""

    def __init__(self, jwks_url: str, *, min_refresh_interval: float = 5.0, client: httpx.Client | None = None):
        self.jwks_url, self.min_refresh_interval = jwks_url, min_refresh_interval
        self._client = client or httpx.Client(timeout=5.0)
        self._keys: dict[str, object] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        response = self._client.get(self.jwks_url)
        response.raise_for_status()
        jwk_set = jwt.PyJWKSet.from_dict(response.json())
        self._keys = {key.key_id: key.key for key in jwk_set.keys if key.key_id}
        self._fetched_at = time.monotonic()

    def __call__(self, kid: str | None):
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at >= self.min_refresh_interval:
                try:
                    self._refresh()
                except (httpx.HTTPError, jwt.PyJWTError, ValueError) as exc:
                    raise ProblemError(503, "Service Unavailable", "Token keys could not be fetched.",
                                       headers={"Retry-After": "5"}) from exc
            return self._keys.get(kid)


class TokenVerifier:
    def __init__(self, key_source: Callable[[str | None], object], *, audience: str, issuer: str,
                 is_revoked: Callable[[Principal], bool] | None = None, leeway: int = 10):
        self.key_source, self.audience, self.issuer, self.leeway = key_source, audience, issuer, leeway
        self.is_revoked = is_revoked

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise unauthorized("The access token is malformed.") from exc
        if header.get("alg") not in ALGORITHMS:
            raise unauthorized("The access token's algorithm is not accepted.")
        key = self.key_source(header.get("kid"))
        if key is None:
            raise unauthorized("The access token was signed with an unknown key.")
        try:
            claims = jwt.decode(token, key=key, algorithms=ALGORITHMS, audience=self.audience, issuer=self.issuer,
                                leeway=self.leeway, options={"require": ["exp", "iat", "sub", "jti", "aud", "iss"]})
        except jwt.PyJWTError as exc:
            raise unauthorized(f"The access token is not valid: {exc}.") from exc
        principal = Principal(
            subject=str(claims["sub"]), organisation_id=claims.get("org"),
            scopes=frozenset(str(claims.get("scope", "")).split()), roles=frozenset(claims.get("roles") or ()),
            token_id=str(claims["jti"]), client_id=claims.get("client_id"), issued_at=int(claims["iat"]),
        )
        if self.is_revoked and self.is_revoked(principal):
            raise unauthorized("The access token has been revoked.")
        return principal


def unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "Unauthorized", detail, code="unauthorized",
                        headers={"WWW-Authenticate": 'Bearer realm="hub", error="invalid_token"'})


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "Forbidden", detail, code="forbidden")


def install(app, verifier: TokenVerifier) -> None:
    app.extensions["hub.auth"] = verifier


def current_principal(*, scope: str | None = None, operator_allowed: bool = True) -> Principal:
    """The caller, verified from `Authorization: Bearer`; 401 without a valid token, 403 without the scope."""
    principal = getattr(g, "hub_principal", None)
    if principal is None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("An access token (Authorization: Bearer ...) is required.")
        principal = current_app.extensions["hub.auth"].verify(token.strip())
        g.hub_principal = principal
    if principal.is_operator and not operator_allowed:
        raise forbidden("Operators have no access to this resource.")
    if scope and not principal.has_scope(scope):
        raise forbidden(f"The token lacks the scope {scope}.")
    return principal


def require_token(blueprint) -> None:
    """Authenticate every request of `blueprint` before flask-openapi3 validates its body or query,
    so a caller without a valid token gets 401, never a 422 that reveals the endpoint's schema."""
    blueprint.before_request(lambda: current_principal() and None)
