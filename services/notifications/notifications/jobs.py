"""Running a periodic job as a worker loop (the digest, the retention purge)."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from shared.worker import Loop

log = logging.getLogger(__name__)


def periodic(job: Callable[[], int], interval: float, name: str) -> Loop:
    """Run `job` until it finds nothing to do, then wait `interval` seconds; a failure is logged and retried."""
    def run(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                while job() and not stop.is_set():
                    pass
            except Exception:
                log.warning("%s pass failed; will retry", name, exc_info=True)
            stop.wait(interval)
    return run
