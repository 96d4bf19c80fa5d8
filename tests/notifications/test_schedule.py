"""The published retry schedule: 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h with ±10 % jitter."""
from __future__ import annotations

import random
from datetime import timedelta

from notifications.delivery import schedule


def test_the_schedule_is_the_contracts():
    assert [d.total_seconds() for d in schedule.SCHEDULE] == [0, 5, 300, 1800, 7200, 18000, 36000, 36000]


def test_delays_stay_within_the_jitter_and_end_after_the_last_attempt():
    rng = random.Random(7)
    for attempts_made in range(1, schedule.MAX_ATTEMPTS):
        base = schedule.SCHEDULE[attempts_made]
        for _ in range(50):
            delay = schedule.next_delay(attempts_made, rng=rng)
            assert base * 0.9 <= delay <= base * 1.1
    assert schedule.next_delay(schedule.MAX_ATTEMPTS) is None


def test_retry_after_counts_only_when_longer_and_is_capped():
    assert schedule.next_delay(1, timedelta(seconds=1), rng=random.Random(1)) < timedelta(seconds=6)
    assert schedule.next_delay(1, timedelta(minutes=3)) == timedelta(minutes=3)
    assert schedule.next_delay(1, timedelta(days=30)) == schedule.MAX_RETRY_AFTER


def test_retry_after_is_read_as_seconds_or_an_http_date():
    assert schedule.parse_retry_after("120", 0) == timedelta(seconds=120)
    assert schedule.parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", 40) == timedelta(seconds=60)
    assert schedule.parse_retry_after("soon", 0) is None
    assert schedule.parse_retry_after(None, 0) is None
