"""The referrals worker: outbox relay, inbox consumer and processor, the deadline job (reminders
and expiry) and the retention purge."""
from __future__ import annotations

from shared import worker
from shared.worker import WorkerSpec, periodic

from referrals.bootstrap import build_runtime
from referrals.handlers import HANDLERS
from referrals.jobs import purge_due, run_deadlines
from referrals.settings import ReferralsSettings


def build() -> tuple[ReferralsSettings, WorkerSpec]:
    settings = ReferralsSettings()
    runtime = build_runtime(settings)
    loops = runtime.standard_loops(HANDLERS)
    loops["deadlines"] = periodic(lambda: run_deadlines(runtime), settings.deadline_interval_seconds, "deadlines")
    loops["retention"] = periodic(lambda: purge_due(runtime), settings.retention_interval_seconds, "retention")
    return settings, WorkerSpec("referrals", loops)


if __name__ == "__main__":
    worker.main("referrals", build)
