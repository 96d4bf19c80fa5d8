"""What a request handler needs from the app: the runtime (database, outbox) and the key store."""
from __future__ import annotations

from flask import current_app

from shared.runtime import ServiceRuntime

from accounts.keys import KeyStore


def runtime() -> ServiceRuntime:
    return current_app.extensions["hub.runtime"]


def keys() -> KeyStore:
    return current_app.extensions["accounts.keys"]
