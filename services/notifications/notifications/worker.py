"""The worker process: relay, consume, process (inbox handlers), deliver (webhooks), email (sending),
digest (the daily digest job) and retention (expired notices and emails).

`python -m notifications.worker` runs them all; `--only deliver` runs one role.
"""
from __future__ import annotations

import sqlalchemy as sa

from shared.runtime import ServiceRuntime
from shared.worker import WorkerSpec, main, periodic

from notifications.bootstrap import build_runtime
from notifications.delivery.dispatcher import Dispatcher
from notifications.email.digest import run_digests
from notifications.email.sender import EmailSender
from notifications.handlers import HANDLERS
from notifications.notices.retention import purge_expired


WAKE_PENDING = "hub.wake_after_commit"


def poking(handlers: dict, *pokes) -> dict:
    """Handlers that wake this process's dispatcher and email sender once their transaction commits
    (NOTIFY wakes other processes')."""
    def wake(session) -> None:
        session.info.pop(WAKE_PENDING, None)
        for poke in pokes:
            poke()

    def wrap(handler):
        def handle(session, event):
            handler(session, event)
            if not session.info.get(WAKE_PENDING):  # once per transaction, not once per event of a batch
                session.info[WAKE_PENDING] = True
                sa.event.listen(session, "after_commit", wake, once=True)
        return handle
    return {event_type: wrap(handler) for event_type, handler in handlers.items()}


def worker_spec(runtime: ServiceRuntime, dispatcher: Dispatcher | None = None,
                sender: EmailSender | None = None) -> WorkerSpec:
    dispatcher = dispatcher or Dispatcher(runtime)
    sender = sender or EmailSender(runtime)
    settings = runtime.settings
    loops = runtime.standard_loops(poking(HANDLERS, dispatcher.poke, sender.poke))
    loops["deliver"] = dispatcher.run
    loops["email"] = sender.run
    loops["digest"] = periodic(lambda: run_digests(runtime), settings.digest_interval_seconds, "digest")
    loops["retention"] = periodic(lambda: purge_expired(runtime), settings.retention_interval_seconds, "retention")
    return WorkerSpec("notifications", loops)


def build():
    runtime = build_runtime()
    return runtime.settings, worker_spec(runtime)


if __name__ == "__main__":
    main("notifications", build)

