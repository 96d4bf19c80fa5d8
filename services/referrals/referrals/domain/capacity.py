"""The receiver's capacity for a referral's needs, from the service directory (accounts' events).

Each need keeps the best capacity among the organisation's services for it; a referral warns when
the receiver has services for its needs and every one of them is closed. An organisation with no
service listed for those needs says nothing either way, so it gets no warning.
"""
from __future__ import annotations

from collections.abc import Iterable

RANK = {"closed": 0, "waitlist": 1, "open": 2}


def best_capacity_by_need(services: Iterable[tuple[Iterable[str], str]]) -> dict[str, str]:
    """{need: best capacity} from (needs, capacity) pairs, one per service."""
    best: dict[str, str] = {}
    for needs, capacity in services:
        for need in needs:
            if need not in best or RANK[capacity] > RANK[best[need]]:
                best[need] = capacity
    return best


def all_closed(capacity_by_need: dict[str, str], needs: Iterable[str]) -> bool:
    listed = [capacity_by_need[need] for need in needs if need in capacity_by_need]
    return bool(listed) and all(capacity == "closed" for capacity in listed)
