"""accounts' background process: the outbox relay (accounts has no queue to consume) and the
purge of expired sign-in and rate-limit rows."""
from __future__ import annotations

from shared.worker import WorkerSpec, main

from accounts.handlers import HANDLERS
from accounts.housekeeping import purge_loop
from accounts.runtime import build_runtime
from accounts.settings import AccountsSettings


def build() -> tuple[AccountsSettings, WorkerSpec]:
    runtime = build_runtime()
    loops = runtime.standard_loops(HANDLERS)
    loops["purge"] = purge_loop(runtime)
    return runtime.settings, WorkerSpec("accounts", loops)


if __name__ == "__main__":
    main("accounts", build)
