"""The daily digest: at the configured hour (Europe/Helsinki), one email to each person who chose
`daily`, listing their organisation's notices since their previous digest.

Each person's window ends at today's digest instant and starts where their previous one ended
(`notification_settings.digest_covered_until`; when they chose `daily`, or a day back for the
first). A person is claimed by a conditional UPDATE of that column, and the email is unique per
(person, Helsinki date): a restarted job, or two workers at once, make one digest, never two.
Nothing new, no email; the window still moves on. A job that runs late (the worker was down at
the hour) still cuts the window at the hour, so a notice after it waits for tomorrow's.
"""
from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from shared.db import insert_new, unit_of_work, utcnow
from shared.messaging.wakeup import notify
from shared.runtime import ServiceRuntime

from notifications.email import WAKEUP_CHANNEL
from notifications.models import Email, Notice, NotificationSettings, Person
from notifications.notices.people import AUDIENCE_ROLES, email_recipients

log = logging.getLogger(__name__)
HELSINKI = ZoneInfo("Europe/Helsinki")


def digest_instant(day: date, hour: int) -> datetime:
    """`hour`:00 in Helsinki on `day`, in UTC (the zone's offset that day: summer time included)."""
    return datetime.combine(day, time(hour), tzinfo=HELSINKI).astimezone(timezone.utc)


def run_digests(runtime: ServiceRuntime, now: datetime | None = None, batch: int = 200) -> int:
    """One pass: make today's digests that are due and not made yet; returns how many people it claimed
    (0 when nothing was left to do)."""
    now = now or utcnow()
    today = now.astimezone(HELSINKI).date()
    instant = digest_instant(today, runtime.settings.digest_hour)
    if now < instant:
        return 0
    covered = NotificationSettings.digest_covered_until
    with runtime.sessions() as session:
        due = session.execute(
            email_recipients(frequency="daily").add_columns(Person.role, covered)
            .where(sa.or_(covered.is_(None), covered < instant)).order_by(Person.person_id).limit(batch)).all()
    outcomes = [_digest_for(runtime, person_id, organisation_id, role, covered_until, today, instant, now)
                for person_id, organisation_id, role, covered_until in due]
    claimed = sum(outcome is not None for outcome in outcomes)
    if claimed:
        log.info("daily digest: %d people, %d emails", claimed, sum(filter(None, outcomes)))
    return claimed


def _digest_for(runtime: ServiceRuntime, person_id: uuid.UUID, organisation_id: uuid.UUID, role: str,
                covered_until: datetime | None, today: date, instant: datetime, now: datetime) -> int | None:
    """Claim the person's window and queue their digest if it holds notices: the number of emails
    queued (0 or 1), None when the person was not claimed."""
    covered = NotificationSettings.digest_covered_until
    since = covered_until or instant - timedelta(days=1)
    with unit_of_work(runtime.sessions) as session:
        claimed = session.execute(
            sa.update(NotificationSettings)
            .where(NotificationSettings.person_id == person_id, NotificationSettings.email_frequency == "daily",
                   covered.is_(None) if covered_until is None else covered == covered_until)
            .values(digest_covered_until=instant)).rowcount
        if claimed != 1:
            return None  # another worker took it, or the person changed their settings meanwhile
        audiences = [audience for audience, roles in AUDIENCE_ROLES.items() if role in roles]
        count = session.scalar(sa.select(sa.func.count()).select_from(Notice).where(
            Notice.organisation_id == organisation_id, Notice.audience.in_(audiences),
            Notice.created_at > since, Notice.created_at <= instant))
        if not count:
            return 0
        made = insert_new(session, Email, [{
            "id": uuid.uuid4(), "person_id": person_id, "organisation_id": organisation_id, "digest_date": today,
            "covers_from": since, "covers_until": instant, "status": "created", "attempt_count": 0,
            "next_attempt_at": now, "created_at": now, "updated_at": now, "trace_headers": {}}],
            ["person_id", "digest_date"])
        if made:
            notify(session, WAKEUP_CHANNEL)
        return made
