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
