"""The receiver's answer deadline and its reminder, counted in Finnish calendar days.

A referral sent on a given day in Europe/Helsinki must be answered by the end of the
`days`-th day after it (local midnight, whatever DST does in between); stored in UTC. The
reminder falls the same local time `days_before` calendar days earlier.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


def deadline_for(sent_at: datetime, days: int) -> datetime:
    local_day = sent_at.astimezone(HELSINKI).date()
    end = datetime.combine(local_day + timedelta(days=days + 1), time(0), tzinfo=HELSINKI)
    return end.astimezone(timezone.utc)


def reminder_for(sent_at: datetime, deadline_at: datetime, days_before: int) -> datetime | None:
    """When to remind the receiver, or None when that moment is not after sending (too short a deadline)."""
    if days_before <= 0:
        return None
    local = deadline_at.astimezone(HELSINKI)
    # Wall-clock arithmetic in the local zone, then back to UTC: a DST change in between moves
    # the UTC instant, not the local hour.
    remind_at = datetime.combine(local.date() - timedelta(days=days_before), local.timetz().replace(tzinfo=None),
                                 tzinfo=HELSINKI).astimezone(timezone.utc)
    return remind_at if remind_at > sent_at else None
