"""The receiver's answer deadline, counted in Finnish calendar days.

A referral sent on a given day in Europe/Helsinki must be answered by the end of the
`days`-th day after it (local midnight, whatever DST does in between); stored in UTC.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


def deadline_for(sent_at: datetime, days: int) -> datetime:
    local_day = sent_at.astimezone(HELSINKI).date()
    end = datetime.combine(local_day + timedelta(days=days + 1), time(0), tzinfo=HELSINKI)
    return end.astimezone(timezone.utc)
