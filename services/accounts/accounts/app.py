"""accounts' web application factory (gunicorn: `accounts.app:create_app()`)."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_openapi3 import OpenAPI

from shared import auth
from shared.auth import TokenVerifier
from shared.runtime import ServiceRuntime
from shared.web import create_service_app, database_check_for

from accounts.api import api_clients, oauth, organisations
from accounts.clients import ensure_bootstrap_client
from accounts.keys import KeyStore
from accounts.runtime import build_runtime
from accounts.settings import AccountsSettings
from accounts.tokens import local_verifier

log = logging.getLogger(__name__)
DESCRIPTION = """The hub's centre of identity: organisations of the network, their API clients, and the
token issuer (OAuth 2.0 client credentials, RS256 JWTs, JWKS).

Organisations are visible to every authenticated caller; changing one needs an operator or that
organisation's admin (a person with `org_admin`, or an API client with `organisations:admin`), so
another organisation's caller gets 403. An API client id under the wrong organisation answers 404.
Errors are `application/problem+json`, except on `/oauth/token`, which answers as RFC 6749 says."""


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
    auth.install(app, verifier or local_verifier(settings, keys, runtime.sessions))
    for blueprint in (oauth.bp, organisations.bp, api_clients.bp):
        app.register_api(blueprint)
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
