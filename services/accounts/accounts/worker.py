"""accounts' background process: only the outbox relay (accounts has no queue to consume)."""
from __future__ import annotations

from shared.worker import WorkerSpec, main

from accounts.handlers import HANDLERS
from accounts.runtime import build_runtime
from accounts.settings import AccountsSettings


def build() -> tuple[AccountsSettings, WorkerSpec]:
    runtime = build_runtime()
    return runtime.settings, WorkerSpec("accounts", runtime.standard_loops(HANDLERS))


if __name__ == "__main__":
    main("accounts", build)
