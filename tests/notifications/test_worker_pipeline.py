"""The worker's loops together on the embedded broker: event published -> inbox -> delivery -> receiver."""
from __future__ import annotations

import threading
import uuid

from standardwebhooks import Webhook as Verifier

from shared.db import unit_of_work
from shared.worker import run_loops

from notifications.worker import worker_spec

from tests.conftest import wait_for
from tests.notifications.conftest import referral_sent


def test_an_event_on_the_broker_reaches_the_receiver_signed(runtime, receiver, register):
    receiver_org = uuid.uuid4()
    webhook = register(receiver_org, receiver.url())
    spec = worker_spec(runtime)
    assert set(spec.loops) == {"relay", "consume", "process", "deliver"}
    stop = threading.Event()
    worker = threading.Thread(target=run_loops, args=(spec, None, stop), daemon=True)
    worker.start()
    try:
        with unit_of_work(runtime.sessions) as session:  # any service's outbox will do: ours is at hand
            event = runtime.emit(session, referral_sent(uuid.uuid4(), receiver_org))
        wait_for(lambda: receiver.requests, timeout=20, message="the webhook arrived")
    finally:
        stop.set()
        worker.join(timeout=20)
    [request] = receiver.requests
    assert request.headers["webhook-id"] == event.id
    assert Verifier(webhook["secret"]).verify(request.body, request.headers)["data"] == event.data_dict()
