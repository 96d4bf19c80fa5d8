"""Deleting notices and emails older than the retention period (`NOTIFICATIONS_NOTICE_RETENTION_DAYS`,
default 90): with them go their read markers and the emails' attempts. In batches, so a large
backlog never holds a long transaction."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from shared.db import unit_of_work, utcnow
from shared.runtime import ServiceRuntime

from notifications.models import Email, EmailAttempt, Notice, NoticeRead

log = logging.getLogger(__name__)


def purge_expired(runtime: ServiceRuntime, now: datetime | None = None, batch: int = 500) -> int:
    """One batch: delete what expired; returns how many notices and emails went."""
    cutoff = (now or utcnow()) - timedelta(days=runtime.settings.notice_retention_days)
    with unit_of_work(runtime.sessions) as session:
        notice_ids = list(session.scalars(sa.select(Notice.id).where(Notice.created_at < cutoff).limit(batch)))
        email_ids = list(session.scalars(sa.select(Email.id).where(
            sa.or_(Email.created_at < cutoff, Email.notice_id.in_(notice_ids))).limit(batch * 10)))
        if email_ids:
            session.execute(sa.delete(EmailAttempt).where(EmailAttempt.email_id.in_(email_ids)))
            session.execute(sa.delete(Email).where(Email.id.in_(email_ids)))
        if notice_ids:
            session.execute(sa.delete(NoticeRead).where(NoticeRead.notice_id.in_(notice_ids)))
            # An email of one of these notices beyond the batch above keeps its notice for the next pass.
            session.execute(sa.delete(Notice).where(Notice.id.in_(notice_ids),
                                                    ~sa.exists().where(Email.notice_id == Notice.id)))
    removed = len(notice_ids) + len(email_ids)
    if removed:
        log.info("retention: deleted %d notices and %d emails", len(notice_ids), len(email_ids))
    return removed
