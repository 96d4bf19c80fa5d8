"""The scheduled jobs: deadline reminders, expiry, and the retention purge.

Each is safe to run in several processes at once and again after a crash: a referral is changed
only by an UPDATE conditional on the state the job found (a version-checked move under a row lock
for expiry; `reminded_at IS NULL` for reminders; `client_data_purged_at IS NULL` for the purge),
and its event is written in the same transaction, so exactly one process emits it.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from shared.contracts import events as ev
from shared.db import unit_of_work, utcnow
from shared.runtime import ServiceRuntime

from referrals.domain import lifecycle
from referrals.domain.lifecycle import Action, Party
from referrals.models import HistoryEntry, Referral
from referrals.usecases import apply, event_fields

log = logging.getLogger(__name__)
WAITING = [str(s) for s in lifecycle.sources_of(Action.EXPIRE)]
CLOSED = [str(s) for s in lifecycle.CLOSED]


def remind_due(runtime: ServiceRuntime, now: datetime | None = None, batch: int = 100) -> int:
    """Emit `referral.reminder` once for each unanswered referral whose reminder time has come."""
    now = now or utcnow()
    table = Referral.__table__
    due = (table.c.status.in_(WAITING), table.c.remind_at <= now, table.c.reminded_at.is_(None),
           table.c.deadline_at > now)
    with runtime.sessions() as session:
        ids = session.execute(sa.select(table.c.id).where(*due).order_by(table.c.remind_at).limit(batch)).scalars().all()
    reminded = 0
    for referral_id in ids:
        with unit_of_work(runtime.sessions) as session:
            claimed = session.execute(table.update().where(table.c.id == referral_id, *due).values(reminded_at=now))
            if claimed.rowcount != 1:
                continue  # reminded, answered or expired by another process meanwhile
            referral = session.get(Referral, referral_id)
            runtime.emit(session, ev.ReferralReminder(**event_fields(referral, now), deadline_at=referral.deadline_at),
                         subject=str(referral.id))
            reminded += 1
    return reminded


def expire_due(runtime: ServiceRuntime, now: datetime | None = None, batch: int = 100) -> int:
    """Expire referrals unanswered past their deadline: each is re-read under a row lock and moved
    by a version-conditional UPDATE."""
    now = now or utcnow()
    due = sa.select(Referral).where(Referral.status.in_(WAITING), Referral.deadline_at <= now)
    with runtime.sessions() as session:
        ids = session.execute(due.with_only_columns(Referral.id).order_by(Referral.deadline_at).limit(batch)).scalars().all()
    expired = 0
    for referral_id in ids:
        with unit_of_work(runtime.sessions) as session:
            referral = session.execute(due.where(Referral.id == referral_id).with_for_update()).scalar_one_or_none()
            if referral is None:
                continue  # answered or expired by another process meanwhile
            apply(session, runtime, referral, Action.EXPIRE, Party.SYSTEM, subject="hub:deadline", organisation_id=None,
                  now=now)
            expired += 1
    return expired


def run_deadlines(runtime: ServiceRuntime, now: datetime | None = None, batch: int = 100) -> int:
    """One pass of the deadline job: reminders first (a due one is still before its deadline), then expiry."""
    return remind_due(runtime, now, batch) + expire_due(runtime, now, batch)


def purge_due(runtime: ServiceRuntime, now: datetime | None = None, batch: int = 500) -> int:
    """Purge the client data of referrals closed more than the retention period ago: the blob, the
    blind index and comment/note texts. The row, its statuses, dates and codes stay for statistics,
    the history and access log for accountability."""
    now = now or utcnow()
    table, texts = Referral.__table__, HistoryEntry.__table__
    due = (table.c.client_data_purged_at.is_(None), table.c.status.in_(CLOSED),
           table.c.closed_at <= now - timedelta(days=runtime.settings.retention_days))
    with unit_of_work(runtime.sessions) as session:
        ids = session.execute(sa.select(table.c.id).where(*due).order_by(table.c.closed_at).limit(batch)
                              .with_for_update(skip_locked=True)).scalars().all()
        if not ids:
            return 0
        session.execute(table.update().where(table.c.id.in_(ids), *due).values(
            data_blob=b"", data_key_id="", client_index=None, index_key_id=None, client_data_purged_at=now))
        session.execute(texts.update().where(texts.c.referral_id.in_(ids), texts.c.text_blob.is_not(None))
                        .values(text_blob=None, text_key_id=None))
    log.info("retention: purged the client data of %d closed referrals", len(ids))
    return len(ids)
