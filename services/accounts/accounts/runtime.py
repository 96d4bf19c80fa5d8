"""accounts' one bootstrap, shared by the web app, the worker and the admin commands."""
from __future__ import annotations

from pathlib import Path

from shared.runtime import ServiceRuntime

from accounts.models import messaging
from accounts.settings import AccountsSettings

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def build_runtime(settings: AccountsSettings | None = None) -> ServiceRuntime:
    return ServiceRuntime.create(settings or AccountsSettings(), messaging, MIGRATIONS_DIR)
