"""Notices and emails older than the retention period go, with their read markers and attempts;
newer ones stay. People's addresses move to a new key with `reencrypt-secrets`."""
from __future__ import annotations

import base64
import secrets
import uuid
from datetime import timedelta

import sqlalchemy as sa

from shared.crypto import KeyRing
from shared.db import unit_of_work, utcnow

from notifications.models import Email, EmailAttempt, Notice, NoticeRead, NotificationSettings
from notifications.notices import preferences
from notifications.notices.retention import purge_expired

from tests.notifications.conftest import referral_sent

SENDER, RECEIVER = uuid.uuid4(), uuid.uuid4()


def counts(runtime) -> dict[str, int]:
    with runtime.sessions() as session:
        return {model.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(model))
                for model in (Notice, NoticeRead, Email, EmailAttempt)}


def test_expired_notices_and_emails_go_and_newer_ones_stay(runtime, handle, person, client, person_headers):
    reader = person(RECEIVER, email="aino@kerava.fi")
    handle(referral_sent(SENDER, RECEIVER))
    assert client.post("/v1/notices/read-all", headers=person_headers(reader, RECEIVER)).json == {"marked": 1}
    with unit_of_work(runtime.sessions) as session:
        [email] = session.scalars(sa.select(Email)).all()
        session.add(EmailAttempt(email_id=email.id, at=utcnow(), smtp_code=250, duration_ms=3))
    assert counts(runtime) == {"notices": 1, "notice_reads": 1, "emails": 1, "email_attempts": 1}

    days = runtime.settings.notice_retention_days
    assert purge_expired(runtime, utcnow() + timedelta(days=days - 1)) == 0
    assert counts(runtime)["notices"] == 1
    handle(referral_sent(SENDER, RECEIVER))  # a newer one, which stays
    later = utcnow() + timedelta(days=days, hours=1)
    with unit_of_work(runtime.sessions) as session:  # the newer one made a day later than the first
        newest = session.scalars(sa.select(Notice).order_by(Notice.created_at.desc())).first()
        newest.created_at = later - timedelta(days=1)
        session.execute(sa.update(Email).where(Email.notice_id == newest.id).values(created_at=newest.created_at))
    assert purge_expired(runtime, later) == 2  # the first notice and its email
    assert purge_expired(runtime, later) == 0
    assert counts(runtime) == {"notices": 1, "notice_reads": 0, "emails": 1, "email_attempts": 0}


def test_addresses_are_reencrypted_with_a_new_key(runtime, person):
    person_id = person(RECEIVER, email="aino@kerava.fi")
    current = (runtime.settings.var_dir / "notifications-secret-keys.txt").read_text().strip()  # embedded mode
    new_key = base64.b64encode(secrets.token_bytes(32)).decode()
    ring = KeyRing.parse(f"knew:{new_key},{current}")  # a new key first, the old one still known
    with unit_of_work(runtime.sessions) as session:
        assert preferences.reencrypt_all(session, ring) == 1
        assert preferences.reencrypt_all(session, ring) == 0
    with runtime.sessions() as session:
        row = session.get(NotificationSettings, person_id)
        assert row.email_key_id == "knew"
        assert preferences.read(session, KeyRing.parse(f"knew:{new_key}"), person_id)["email"] == "aino@kerava.fi"
