"""accounts' web application factory (gunicorn: `accounts.app:create_app()`)."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_openapi3 import OpenAPI
from werkzeug.middleware.proxy_fix import ProxyFix

from shared import auth
from shared.auth import TokenVerifier
from shared.runtime import ServiceRuntime
from shared.web import create_service_app, database_check_for

from accounts.api import api_clients, audit_log, directory, oauth, organisations, people
from accounts.clients import ensure_bootstrap_client
from accounts.web import signin as web_signin
from accounts.keys import KeyStore
from accounts.ratelimit import RateLimiter
from accounts.runtime import build_runtime
from accounts.settings import AccountsSettings
from accounts.tokens import local_verifier

log = logging.getLogger(__name__)
DESCRIPTION = """The hub's centre of identity: organisations of the network and their service directory,
API clients, people (counsellors, organisation admins, operators), the audit log, and the token
issuer (OAuth 2.0 client credentials for systems; authorization code with PKCE for people, whose
sign-in pages are accounts' own; RS256 JWTs, JWKS).

Organisations and the directory are visible to every authenticated caller; changing one needs an
operator or that organisation's admin (a person with `org_admin`, or an API client with
`organisations:admin`), so another organisation's caller gets 403. An API client or person id under
the wrong organisation answers 404. Errors are `application/problem+json`, except on
`/oauth/token`, which answers as RFC 6749 says. See docs/accounts.md."""


def create_app(settings: AccountsSettings | None = None, *, verifier: TokenVerifier | None = None,
               runtime: ServiceRuntime | None = None) -> OpenAPI:
    runtime = runtime or build_runtime(settings)
    settings = runtime.settings
    keys = KeyStore(settings, runtime.sessions)
    app = create_service_app("accounts", title="accounts", description=DESCRIPTION,
                             database_check=database_check_for(runtime.engine), broker_url=settings.broker_url,
                             engine=runtime.engine)
    app.extensions["hub.runtime"] = runtime
    app.extensions["accounts.keys"] = keys
    app.extensions["accounts.limiter"] = RateLimiter(runtime.sessions)
    if settings.trusted_proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxy_hops, x_proto=settings.trusted_proxy_hops)
    auth.install(app, verifier or local_verifier(settings, keys, runtime.sessions))
    for blueprint in (oauth.bp, organisations.bp, api_clients.bp, directory.bp, audit_log.bp, people.bp):
        app.register_api(blueprint)
    web_signin.install(app)
    ensure_bootstrap_client_if_configured(runtime)
    return app


def ensure_bootstrap_client_if_configured(runtime: ServiceRuntime) -> None:
    """The first operator credentials of a fresh installation (CONTRACT.md), checked at each start.

    Before `migrate` has run there is no table yet: the migrate command does it then.
    """
    settings = runtime.settings
    if not (settings.bootstrap_client_id and settings.bootstrap_client_secret):
        return
    try:
        outcome = ensure_bootstrap_client(runtime.sessions, settings.bootstrap_client_id,
                                          settings.bootstrap_client_secret.get_secret_value())
    except sa.exc.DBAPIError as exc:
        log.warning("bootstrap client not checked (has `python -m accounts migrate` run?): %s", type(exc).__name__)
        return
    if outcome != "unchanged":
        log.info("bootstrap operator client %s", outcome)
