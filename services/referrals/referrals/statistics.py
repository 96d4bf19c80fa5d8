"""`GET /v1/statistics`: anonymous counts of the referral flow, from the referral rows alone.

Only the anonymous facts on each row are read (organisations, status, coded reason/outcome, month
sent, seconds to an answer), so the figures survive the retention purge. Each dimension is its own
small GROUP BY over the period and scope (indexed by sender/receiver and `created_at`): grouping by
all of them at once made one group per referral at national scale (500,000 rows to Python for a
year, 8 s; now well under a second, `make bench-scale`). The median is read from the one or two
middle rows. Who sees what: an organisation its own referrals and those
of the organisations under it (`parent_id`, any depth); an operator the whole network.
"""
from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.auth import Principal, forbidden
from shared.runtime import ServiceRuntime

from referrals.domain import statistics as stats
from referrals.domain.lifecycle import Status
from referrals.models import Organisation, Referral
from referrals.usecases import organisation_of


def scope_of(session: Session, principal: Principal) -> set[uuid.UUID] | None:
    """The organisations whose referrals the caller may count (None: all, for operators)."""
    if principal.is_operator:
        return None
    organisation_id = organisation_of(principal)
    if organisation_id is None:
        raise forbidden("Statistics are per organisation; the token names none.")
    children: dict[uuid.UUID, list[uuid.UUID]] = {}
    for child, parent in session.execute(sa.select(Organisation.id, Organisation.parent_id)
                                         .where(Organisation.parent_id.is_not(None))):
        children.setdefault(parent, []).append(child)
    scope, frontier = {organisation_id}, [organisation_id]
    while frontier:
        frontier = [child for parent in frontier for child in children.get(parent, []) if child not in scope]
        scope.update(frontier)
    return scope


def _cells(counts: Counter, key: str) -> list[dict]:
    published = stats.suppress(counts)
    return [{key: str(value), "count": published[value], "suppressed": published[value] is None}
            for value in sorted(counts, key=str)]


def statistics(runtime: ServiceRuntime, principal: Principal, first_day: date, last_day: date) -> dict:
    start, end = stats.period_bounds(first_day, last_day)
    R = Referral
    answered = sa.case((R.answer_seconds.is_(None), False), else_=True).label("answered")
    with runtime.sessions() as session:
        scope = scope_of(session, principal)
        where = [R.created_at >= start, R.created_at < end]
        if scope is not None:
            where.append(sa.or_(R.from_organisation_id.in_(scope), R.to_organisation_id.in_(scope)))

        def grouped(*columns):
            return session.execute(sa.select(*columns, sa.func.count()).where(*where).group_by(*columns)).all()

        dimensions = {name: Counter() for name in ("status", "sender", "receiver", "outcome", "reason", "month")}
        accepted = declined = 0
        for status, code, was_answered, count in grouped(R.status, R.status_code, answered):
            dimensions["status"][status] += count
            if status == Status.COMPLETED and code:
                dimensions["outcome"][code] += count
            if status == Status.DECLINED and code:
                dimensions["reason"][code] += count
            if was_answered:
                declined += count if status == Status.DECLINED else 0
                accepted += 0 if status == Status.DECLINED else count
        for name, column in (("sender", R.from_organisation_id), ("receiver", R.to_organisation_id),
                             ("month", R.sent_month)):
            dimensions[name].update(dict(grouped(column)))
        median = None
        if not stats.small(accepted + declined):
            middle = session.execute(sa.select(R.answer_seconds).where(*where, R.answer_seconds.is_not(None))
                                     .order_by(R.answer_seconds).offset(stats.middle_offset(accepted + declined))
                                     .limit(2)).scalars().all()
            median = stats.median_hours(accepted + declined, middle)
    total = sum(dimensions["status"].values())
    rate = stats.acceptance_rate(accepted, declined)
    return {
        "from": first_day.isoformat(), "to": last_day.isoformat(), "time_zone": "Europe/Helsinki",
        "organisation_ids": sorted(str(o) for o in scope) if scope is not None else None,
        "min_cell": stats.MIN_CELL,
        "total": {"count": None if stats.small(total) else total, "suppressed": stats.small(total)},
        "acceptance_rate": {"value": rate, "suppressed": rate is None},
        "median_hours_to_answer": {"value": median, "suppressed": median is None},
        "by_status": _cells(dimensions["status"], "status"),
        "by_sender": _cells(dimensions["sender"], "organisation_id"),
        "by_receiver": _cells(dimensions["receiver"], "organisation_id"),
        "by_outcome": _cells(dimensions["outcome"], "outcome"),
        "by_decline_reason": _cells(dimensions["reason"], "reason"),
        "by_month": _cells(dimensions["month"], "month"),
    }
