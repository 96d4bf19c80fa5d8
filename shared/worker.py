"""The long-running side of a service: outbox relay, inbox consumer, inbox processor, jobs.

`python -m <service>.worker` runs all of them as threads of one process (each with its own broker
and database connections: py-amqp is not thread-safe); `--only relay` (etc.) runs one role, so
production can scale and kill them separately.
"""
from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.telemetry import init_telemetry, shutdown_telemetry

log = logging.getLogger(__name__)
Loop = Callable[[threading.Event], None]


@dataclass
class WorkerSpec:
    """What a service runs in the background: named loops that stop when the event is set."""

    service: str
    loops: dict[str, Loop] = field(default_factory=dict)


def periodic(job: Callable[[], int], interval: float, name: str) -> Loop:
    """A worker loop for a scheduled job: run `job` until it finds nothing to do, then wait `interval`
    seconds; a failing pass is logged and tried again at the next interval."""
    def run(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                while job() and not stop.is_set():
                    pass
            except Exception:
                log.warning("%s pass failed; will retry", name, exc_info=True)
            stop.wait(interval)
    return run


def run_loops(spec: WorkerSpec, only: list[str] | None = None, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    chosen = {name: loop for name, loop in spec.loops.items() if not only or name in only}
    unknown = set(only or []) - set(spec.loops)
    if unknown:
        raise SystemExit(f"unknown worker roles: {', '.join(sorted(unknown))} (have {', '.join(spec.loops)})")
    threads = []
    for name, loop in chosen.items():
        thread = threading.Thread(target=_guarded, args=(name, loop, stop), name=f"{spec.service}-{name}", daemon=True)
        thread.start()
        threads.append(thread)
    log.info("worker started: %s", ", ".join(chosen))
    while not stop.is_set() and all(t.is_alive() for t in threads):
        stop.wait(0.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)


def _guarded(name: str, loop: Loop, stop: threading.Event) -> None:
    try:
        loop(stop)
    except Exception:
        log.exception("worker loop %s crashed; stopping the worker so the supervisor restarts it", name)
        stop.set()


def main(service: str, build: Callable[[], tuple[object, WorkerSpec]]) -> None:
    """Entry point shared by the services' `worker` modules."""
    parser = argparse.ArgumentParser(prog=f"python -m {service}.worker")
    parser.add_argument("--only", action="append", help="run only this role (repeatable)")
    args = parser.parse_args()
    settings, spec = build()
    init_telemetry(service, settings.otlp_endpoint, settings.trace_file, settings.log_level)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        run_loops(spec, args.only, stop)
    finally:
        shutdown_telemetry()
