"""The referrals worker: outbox relay, inbox consumer and processor, and the deadline job."""
from __future__ import annotations

import logging
import threading

from shared import worker
from shared.worker import WorkerSpec

from referrals.bootstrap import build_runtime
from referrals.handlers import HANDLERS
from referrals.settings import ReferralsSettings
from referrals.usecases import expire_due

log = logging.getLogger(__name__)


def expiry_loop(runtime):
    def run(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                while expire_due(runtime):
                    pass
            except Exception:
                log.warning("expiry pass failed; will retry", exc_info=True)
            stop.wait(runtime.settings.expiry_interval_seconds)
    return run


def build() -> tuple[ReferralsSettings, WorkerSpec]:
    settings = ReferralsSettings()
    runtime = build_runtime(settings)
    loops = runtime.standard_loops(HANDLERS)
    loops["expire"] = expiry_loop(runtime)
    return settings, WorkerSpec("referrals", loops)


if __name__ == "__main__":
    worker.main("referrals", build)
