"""The one wiring of a referrals process, shared by the web app, the worker and the admin commands."""
from __future__ import annotations

from pathlib import Path

from shared.runtime import ServiceRuntime

from referrals.models import messaging
from referrals.protection import ClientDataVault
from referrals.settings import ReferralsSettings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def build_runtime(settings: ReferralsSettings | None = None) -> ServiceRuntime:
    settings = settings or ReferralsSettings()
    runtime = ServiceRuntime.create(settings, messaging, MIGRATIONS_DIR)
    runtime.extras["vault"] = ClientDataVault.from_settings(settings)
    # Inbox handlers get only a session: let them reach the runtime (to emit) through it.
    runtime.sessions.configure(info={"hub.runtime": runtime})
    return runtime


def runtime_of(session) -> ServiceRuntime:
    return session.info["hub.runtime"]


def vault_of(runtime: ServiceRuntime) -> ClientDataVault:
    return runtime.extras["vault"]
