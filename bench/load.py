"""Bounded load generators and latency statistics shared by the baselines and the hub runs.

Two shapes of load, both capped in count *and* in time so that a slow or stuck system ends the run
instead of hanging it:
- `closed_loop`: `concurrency` threads, each sending its next request as soon as the previous one
  answered (throughput, with latency under saturation);
- `paced`: requests due at a fixed offered rate, sent by a bounded thread pool; latency counts from
  the moment a request was *due*, so a system that falls behind is not flattered by the client
  waiting for it (no coordinated omission).
Every request is made by `send(client, i)` with one keep-alive httpx client per thread.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class LoadResult:
    """What one load phase did: successes with their latencies (seconds), failures, wall time."""

    name: str
    sent: int = 0
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    stopped_by_time: bool = False
    offered_rate: float | None = None
    max_lag: float = 0.0  # paced: how late the client sent its latest request
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def p(self, q: float) -> float | None:
        return percentile(self.latencies, q)

    def summary(self) -> dict:
        ms = lambda v: None if v is None else round(v * 1000, 1)  # noqa: E731
        return {"name": self.name, "sent": self.sent, "ok": self.ok, "errors": dict(self.errors),
                "elapsed_s": round(self.elapsed, 2), "rate_per_s": round(self.rate, 1),
                "offered_rate": self.offered_rate, "p50_ms": ms(self.p(50)), "p95_ms": ms(self.p(95)),
                "p99_ms": ms(self.p(99)), "max_ms": ms(max(self.latencies) if self.latencies else None),
                "stopped_by_time": self.stopped_by_time, "max_client_lag_ms": ms(self.max_lag), **self.extra}


Send = Callable[[httpx.Client, int], object]


class _Clients:
    """One keep-alive httpx client per thread (httpx clients are not shared across threads here)."""

    def __init__(self, factory: Callable[[], httpx.Client]):
        self.factory, self.local, self.all, self.lock = factory, threading.local(), [], threading.Lock()

    def get(self) -> httpx.Client:
        client = getattr(self.local, "client", None)
        if client is None:
            client = self.local.client = self.factory()
            with self.lock:
                self.all.append(client)
        return client

    def close(self) -> None:
        for client in self.all:
            client.close()


def _error_key(exc: BaseException) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__


def closed_loop(name: str, send: Send, client_factory: Callable[[], httpx.Client], *, count: int,
                concurrency: int, max_seconds: float, on_ok: Callable[[int, object, float, float], None] | None = None
                ) -> LoadResult:
    """`count` requests by `concurrency` threads back to back; stops early at `max_seconds`."""
    result = LoadResult(name)
    clients = _Clients(client_factory)
    lock = threading.Lock()
    counter = iter(range(count))
    start = time.perf_counter()
    deadline = start + max_seconds

    def worker():
        client = clients.get()
        while True:
            if time.perf_counter() > deadline:
                result.stopped_by_time = True
                return
            with lock:
                i = next(counter, None)
                if i is None:
                    return
                result.sent += 1
            began = time.perf_counter()
            try:
                value = send(client, i)
            except Exception as exc:  # counted, never fatal: the report says what failed
                with lock:
                    result.errors[_error_key(exc)] = result.errors.get(_error_key(exc), 0) + 1
                continue
            ended = time.perf_counter()
            with lock:
                result.ok += 1
                result.latencies.append(ended - began)
            if on_ok:
                on_ok(i, value, began, ended)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.perf_counter()) + 30)
    result.elapsed = time.perf_counter() - start
    clients.close()
    return result


def paced(name: str, send: Send, client_factory: Callable[[], httpx.Client], *, rate: float, count: int,
          max_seconds: float, pool: int = 32, on_ok: Callable[[int, object, float, float], None] | None = None
          ) -> LoadResult:
    """`count` requests offered at `rate` per second; latency counts from when each was due.

    `on_ok(i, value, due, ended)` receives the due time (perf_counter) so that a later arrival
    (a webhook) can be measured from the same instant.
    """
    result = LoadResult(name, offered_rate=rate)
    clients = _Clients(client_factory)
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + max_seconds

    def task(i: int, due: float):
        if time.perf_counter() > deadline + 15:  # the system fell far behind: stop offering more
            with lock:
                result.errors["not sent (time cap)"] = result.errors.get("not sent (time cap)", 0) + 1
            return
        client = clients.get()
        try:
            value = send(client, i)
        except Exception as exc:
            with lock:
                result.errors[_error_key(exc)] = result.errors.get(_error_key(exc), 0) + 1
            return
        ended = time.perf_counter()
        with lock:
            result.ok += 1
            result.latencies.append(ended - due)
        if on_ok:
            on_ok(i, value, due, ended)

    with ThreadPoolExecutor(max_workers=pool, thread_name_prefix="paced") as executor:
        for i in range(count):
            due = start + i / rate
            now = time.perf_counter()
            if due > deadline or now > deadline:
                result.stopped_by_time = True
                break
            if due > now:
                time.sleep(due - now)
            else:
                result.max_lag = max(result.max_lag, now - due)
            result.sent += 1
            executor.submit(task, i, due)
        executor.shutdown(wait=True, cancel_futures=False)
    result.elapsed = time.perf_counter() - start
    clients.close()
    return result


def latency_summary(name: str, latencies: list[float], expected: int, **extra) -> dict:
    """Summary of latencies measured outside a LoadResult (e.g. create -> webhook arrival)."""
    ms = lambda v: None if v is None else round(v * 1000, 1)  # noqa: E731
    return {"name": name, "expected": expected, "arrived": len(latencies), "missing": expected - len(latencies),
            "p50_ms": ms(percentile(latencies, 50)), "p95_ms": ms(percentile(latencies, 95)),
            "p99_ms": ms(percentile(latencies, 99)), "max_ms": ms(max(latencies) if latencies else None), **extra}


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Poll until `condition()` holds or `timeout` passes; returns whether it held."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
