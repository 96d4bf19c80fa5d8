"""The one wiring of the service, shared by the web app and the worker."""
from __future__ import annotations

from pathlib import Path

from shared.runtime import ServiceRuntime

from notifications import signing_secrets
from notifications.models import messaging
from notifications.settings import NotificationsSettings

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def build_runtime(settings: NotificationsSettings | None = None) -> ServiceRuntime:
    settings = settings or NotificationsSettings()
    runtime = ServiceRuntime.create(settings, messaging, MIGRATIONS_DIR)
    runtime.extras["keyring"] = signing_secrets.key_ring(settings)
    return runtime
