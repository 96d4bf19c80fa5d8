"""Anonymous statistics: the period and month in Europe/Helsinki, and small-cell suppression.

A count under `MIN_CELL` could point at a person, so it is published as `null` with
`suppressed: true`. Every dimension's cells add up to a figure published elsewhere (the total, or
the count of one status), so one suppressed cell alone could be recovered by subtraction: then the
next smallest cell of that dimension is suppressed too (complementary suppression).
"""
from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import date, datetime, time, timedelta, timezone

from referrals.domain.deadlines import HELSINKI

MIN_CELL = 5


def month_of(at: datetime) -> str:
    """The statistics month ("YYYY-MM") of a UTC instant, in Europe/Helsinki."""
    return at.astimezone(HELSINKI).strftime("%Y-%m")


def period_bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) covering the local days first_day..last_day, inclusive."""
    start = datetime.combine(first_day, time(0), tzinfo=HELSINKI)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=HELSINKI)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def small(count: int) -> bool:
    return count < MIN_CELL


def suppress(counts: Mapping[Hashable, int]) -> dict[Hashable, int | None]:
    """The cells of one dimension as published: small ones (and a complement) become None."""
    hidden = {key for key, count in counts.items() if small(count)}
    if len(hidden) == 1 and len(counts) > 1:
        shown = sorted((count, str(key), key) for key, count in counts.items() if key not in hidden)
        hidden.add(shown[0][2])
    return {key: None if key in hidden else count for key, count in counts.items()}


def acceptance_rate(accepted: int, declined: int) -> float | None:
    """Accepted of answered; None when the answered are few or either side is a small non-zero cell."""
    answered = accepted + declined
    if small(answered) or any(0 < side < MIN_CELL for side in (accepted, declined)):
        return None
    return round(accepted / answered, 4)


def middle_offset(count: int) -> int:
    """The 0-based position of the (lower) middle value among `count` sorted values."""
    return (count - 1) // 2


def median_hours(count: int, middle_seconds: list[int]) -> float | None:
    """The median in hours from the one (odd count) or two (even) middle values; None when few."""
    if small(count):
        return None
    seconds = middle_seconds[0] if count % 2 else (middle_seconds[0] + middle_seconds[1]) / 2
    return round(seconds / 3600, 1)
