"""The published retry schedule of webhook deliveries (CONTRACT.md; docs point here).

Attempt n (1-based) is made `SCHEDULE[n-1]` after the previous one failed, with ±10 % jitter so
a recovering receiver is not hit by every retry at the same instant. A `Retry-After` longer than
the scheduled delay is honoured (capped). After the last attempt the delivery has failed for good.
"""
from __future__ import annotations

import random
from datetime import timedelta
from email.utils import parsedate_to_datetime

SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(SCHEDULE)
JITTER = 0.10
MAX_RETRY_AFTER = timedelta(hours=10)


def next_delay(attempts_made: int, retry_after: timedelta | None = None,
               rng: random.Random | None = None) -> timedelta | None:
    """The wait before the next attempt after `attempts_made` failed ones; None when exhausted."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    base = SCHEDULE[attempts_made]
    delay = base * (1 + (rng or random).uniform(-JITTER, JITTER))
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def parse_retry_after(value: str | None, now_timestamp: float) -> timedelta | None:
    """`Retry-After` as seconds or an HTTP date (RFC 9110); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return timedelta(seconds=max(0.0, when.timestamp() - now_timestamp))
