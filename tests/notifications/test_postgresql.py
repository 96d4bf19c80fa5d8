"""The same delivery path on PostgreSQL: upserts, SKIP LOCKED claims and NOTIFY wake-ups."""
from __future__ import annotations

import time
import uuid

import pytest
import sqlalchemy as sa

from notifications.bootstrap import build_runtime
from notifications.delivery.dispatcher import Dispatcher
from notifications.models import Delivery
from notifications.settings import NotificationsSettings

from tests.notifications.conftest import referral_sent

pytestmark = pytest.mark.realservers
SENDER, RECEIVER = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
def runtime(tmp_path, fresh_postgres_db):
    url = fresh_postgres_db("notifications")
    runtime = build_runtime(NotificationsSettings(var_dir=tmp_path, database_url=url, allow_private_urls=True,
                                                  delivery_timeout_seconds=2.0))
    runtime.migrate()
    yield runtime
    runtime.engine.dispose()


def test_deliveries_are_made_once_and_claimed_once(runtime, receiver, register, handle, clock):
    register(RECEIVER, receiver.url())
    for _ in range(3):
        event = handle(referral_sent(SENDER, RECEIVER))
        handle(event.data, event)  # a redelivered event: nothing new
    first, second = Dispatcher(runtime, clock=clock), Dispatcher(runtime, clock=clock)
    try:
        claimed = first.claim(2) + second.claim(8)
        assert len({job.delivery_id for job in claimed}) == len(claimed) == 3
        for job in claimed:
            first.attempt(job)
    finally:
        first.close()
        second.close()
    with runtime.sessions() as session:
        assert sorted(session.execute(sa.select(Delivery.status)).scalars()) == ["delivered"] * 3
    assert len(receiver.requests) == 3


def test_a_new_delivery_wakes_the_dispatcher_through_notify(runtime, receiver, register, handle, dispatcher):
    register(RECEIVER, receiver.url())
    dispatcher.wakeup.wait(timeout=0.01)  # opens the LISTEN connection
    handle(referral_sent(SENDER, RECEIVER))
    started = time.monotonic()
    dispatcher.wakeup.wait(timeout=5)
    assert time.monotonic() - started < 2


def test_notices_read_markers_and_email_on_postgresql(runtime, client, handle, person, person_headers, smtp_server,
                                                      clock):
    """INSERT ... SELECT ... ON CONFLICT for read-all, the correlated unread count, the email claim."""
    from notifications.email.sender import EmailSender
    from notifications.email.transport import SmtpTransport
    from notifications.models import Email

    reader = person(RECEIVER, email="aino@kerava.fi")
    headers = person_headers(reader, RECEIVER)
    for _ in range(2):
        event = handle(referral_sent(SENDER, RECEIVER))
        handle(event.data, event)  # redelivered: no second notice, no second email
    assert client.get("/v1/notices/unread-count", headers=headers).json == {"unread": 2}
    assert client.post("/v1/notices/read-all", headers=headers).json == {"marked": 2}
    assert client.get("/v1/notices/unread-count", headers=headers).json == {"unread": 0}

    smtp = NotificationsSettings(smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_timeout_seconds=2.0)
    first = EmailSender(runtime, clock=clock, transport=SmtpTransport(smtp))
    second = EmailSender(runtime, clock=clock, transport=SmtpTransport(smtp))
    claimed = first.claim(1) + second.claim(5)
    assert len(set(claimed)) == len(claimed) == 2
    for email_id in claimed:
        first.attempt(first.prepare(email_id))
    with runtime.sessions() as session:
        assert sorted(session.execute(sa.select(Email.status)).scalars()) == ["delivered"] * 2
    assert len(smtp_server.messages) == 2


def test_the_daily_digest_is_made_once_on_postgresql(runtime, handle, person, clock):
    from datetime import timedelta

    from notifications.email.digest import HELSINKI, digest_instant, run_digests
    from notifications.models import Email

    person(RECEIVER, email="aino@kerava.fi", frequency="daily")
    handle(referral_sent(SENDER, RECEIVER))
    clock.set(digest_instant(clock.now.astimezone(HELSINKI).date() + timedelta(days=1), runtime.settings.digest_hour))
    assert run_digests(runtime, clock()) == 1
    assert run_digests(runtime, clock()) == 0
    with runtime.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Email)) == 1
