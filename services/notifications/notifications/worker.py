"""The worker process: relay, consume, process (inbox handlers) and deliver (webhooks).

`python -m notifications.worker` runs them all; `--only deliver` runs one role.
"""
from __future__ import annotations

import sqlalchemy as sa

from shared.runtime import ServiceRuntime
from shared.worker import WorkerSpec, main

from notifications.bootstrap import build_runtime
from notifications.delivery.dispatcher import Dispatcher
from notifications.handlers import HANDLERS


def poking(handlers: dict, poke) -> dict:
    """Handlers that wake this process's dispatcher once their transaction commits (NOTIFY wakes others)."""
    def wrap(handler):
        def handle(session, event):
            handler(session, event)
            sa.event.listen(session, "after_commit", lambda _session: poke(), once=True)
        return handle
    return {event_type: wrap(handler) for event_type, handler in handlers.items()}


def worker_spec(runtime: ServiceRuntime, dispatcher: Dispatcher | None = None) -> WorkerSpec:
    dispatcher = dispatcher or Dispatcher(runtime)
    loops = runtime.standard_loops(poking(HANDLERS, dispatcher.poke))
    loops["deliver"] = dispatcher.run
    return WorkerSpec("notifications", loops)


def build():
    runtime = build_runtime()
    return runtime.settings, worker_spec(runtime)


if __name__ == "__main__":
    main("notifications", build)
