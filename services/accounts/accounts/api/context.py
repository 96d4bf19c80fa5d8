"""What a request handler needs from the app: the runtime (database, outbox), the key store and
the rate limiter."""
from __future__ import annotations

from flask import current_app

from shared.runtime import ServiceRuntime

from accounts.keys import KeyStore
from accounts.ratelimit import RateLimiter


def runtime() -> ServiceRuntime:
    return current_app.extensions["hub.runtime"]


def keys() -> KeyStore:
    return current_app.extensions["accounts.keys"]


def limiter() -> RateLimiter:
    return current_app.extensions["accounts.limiter"]
