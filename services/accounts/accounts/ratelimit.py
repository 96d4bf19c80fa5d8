"""Fixed-window counters in accounts' own database, so every gunicorn worker and every instance
sees the same counts (process memory would give each worker its own allowance).

One row per (key, window): an upsert adds a hit and returns the count in the same statement.
Windows older than an hour are purged by the worker (`housekeeping`).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from shared.db import dialect_insert, unit_of_work

from accounts.models import RateLimitWindow


@dataclass(frozen=True)
class Limit:
    name: str
    hits: int
    seconds: int


class Exceeded(Exception):
    def __init__(self, limit: Limit, retry_after: int):
        super().__init__(f"rate limit {limit.name} exceeded")
        self.limit, self.retry_after = limit, retry_after


def _key(limit: Limit, subject: str) -> str:
    subject = subject if len(subject) <= 100 and "\x00" not in subject else hashlib.sha256(subject.encode()).hexdigest()
    return f"{limit.name}:{subject}"


class RateLimiter:
    def __init__(self, sessions: sessionmaker[Session], clock=time.time):
        self.sessions, self.clock = sessions, clock

    def _window(self, limit: Limit) -> tuple[int, int]:
        now = int(self.clock())
        start = now - now % limit.seconds
        return start, max(1, start + limit.seconds - now)

    def hit(self, limit: Limit, subject: str) -> None:
        """Count one request; raise `Exceeded` when it is over the limit (it still counts)."""
        start, retry_after = self._window(limit)
        with unit_of_work(self.sessions) as session:
            statement = (dialect_insert(session, RateLimitWindow).values(key=_key(limit, subject), window_start=start, hits=1)
                         .on_conflict_do_update(index_elements=["key", "window_start"],
                                                set_={"hits": RateLimitWindow.hits + 1})
                         .returning(RateLimitWindow.hits))
            hits = session.execute(statement).scalar_one()
        if hits > limit.hits:
            raise Exceeded(limit, retry_after)

    def check(self, limit: Limit, subject: str) -> None:
        """Raise `Exceeded` if the window already holds `limit.hits` hits (without adding one)."""
        start, retry_after = self._window(limit)
        with self.sessions() as session:
            hits = session.scalar(sa.select(RateLimitWindow.hits).where(
                RateLimitWindow.key == _key(limit, subject), RateLimitWindow.window_start == start)) or 0
        if hits >= limit.hits:
            raise Exceeded(limit, retry_after)


def purge(session: Session, older_than_seconds: int = 3600) -> int:
    cutoff = int(time.time()) - older_than_seconds
    return session.execute(sa.delete(RateLimitWindow).where(RateLimitWindow.window_start < cutoff)).rowcount
