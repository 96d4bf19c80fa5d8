"""The worker's loops together on the embedded broker: event published -> inbox -> delivery -> receiver,
and -> notice -> email -> a real SMTP server."""
from __future__ import annotations

import threading
import uuid

import pytest
from standardwebhooks import Webhook as Verifier

from shared.db import unit_of_work
from shared.worker import run_loops

from notifications.settings import NotificationsSettings
from notifications.worker import worker_spec

from tests.conftest import wait_for
from tests.notifications.conftest import referral_sent


@pytest.fixture
def settings(tmp_path, smtp_server) -> NotificationsSettings:
    return NotificationsSettings(var_dir=tmp_path, allow_private_urls=True, delivery_timeout_seconds=2.0,
                                 smtp_host=smtp_server.host, smtp_port=smtp_server.port)


def test_an_event_on_the_broker_reaches_the_receiver_signed_and_the_counsellor_by_email(
        runtime, receiver, register, person, smtp_server):
    receiver_org = uuid.uuid4()
    webhook = register(receiver_org, receiver.url())
    person(receiver_org, email="aino@kerava.fi", language="sv")
    spec = worker_spec(runtime)
    assert set(spec.loops) == {"relay", "consume", "process", "deliver", "email", "digest", "retention"}
    stop = threading.Event()
    worker = threading.Thread(target=run_loops, args=(spec, None, stop), daemon=True)
    worker.start()
    try:
        with unit_of_work(runtime.sessions) as session:  # any service's outbox will do: ours is at hand
            event = runtime.emit(session, referral_sent(uuid.uuid4(), receiver_org))
        wait_for(lambda: receiver.requests, timeout=20, message="the webhook arrived")
        wait_for(lambda: smtp_server.messages, timeout=20, message="the email arrived")
    finally:
        stop.set()
        worker.join(timeout=20)
    [request] = receiver.requests
    assert request.headers["webhook-id"] == event.id
    assert Verifier(webhook["secret"]).verify(request.body, request.headers)["data"] == event.data_dict()
    [(recipients, message)] = smtp_server.messages
    assert recipients == ["aino@kerava.fi"] and message["Subject"] == "Ny remiss"
