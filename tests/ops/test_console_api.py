"""The console's JSON on notifications: the hub's services, queue depths, failing endpoints, a referral's timeline."""
from __future__ import annotations

import uuid

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from shared.db import unit_of_work
from shared.messaging import broker
from shared.telemetry import inject_headers
from shared.contracts.envelope import Event

from notifications.delivery.dispatcher import Dispatcher
from notifications.handlers import HANDLERS

from tests.notifications.conftest import referral_sent


def test_services_answer_for_themselves_and_an_absent_one_says_so(client, operator_headers):
    response = client.get("/v1/ops/services", headers=operator_headers)
    assert response.status_code == 200, response.json
    by_name = {item["service"]: item for item in response.json["items"]}
    assert set(by_name) == {"accounts", "notifications", "referrals"}
    own = by_name["notifications"]
    assert own["ready"] is True and own["status"]["outbox"]["pending"] == 0
    assert by_name["referrals"]["ready"] is False and by_name["referrals"]["error"].startswith("unreachable")


def test_queue_depths_on_the_embedded_broker(runtime, client, operator_headers):
    broker.connect(runtime.settings.broker_url).release()  # the topology exists, as after any process start
    with unit_of_work(runtime.sessions) as session:
        runtime.emit(session, referral_sent(uuid.uuid4(), uuid.uuid4()))
    assert runtime.relay().relay_once() == 1
    response = client.get("/v1/ops/queues", headers=operator_headers)
    assert response.status_code == 200, response.json
    depths = {item["queue"]: item["messages"] for item in response.json["items"]}
    assert depths == {"notifications.events": 1, "referrals.events": 0}


def test_a_referrals_timeline_links_its_traces(runtime, app, client, operator_headers, receiver, register):
    if not isinstance(trace.get_tracer_provider(), TracerProvider):  # as a process with telemetry has
        trace.set_tracer_provider(TracerProvider())
    tracer = trace.get_tracer("test")
    sender, receiving = uuid.uuid4(), uuid.uuid4()
    register(receiving, receiver.url("/te?token=receiver-own"))
    receiver.script("/te?token=receiver-own", 500)
    data = referral_sent(sender, receiving)
    event = Event.of(data, source="/referrals")
    with tracer.start_as_current_span("publish hub.events:referral.sent") as producer:
        headers = inject_headers(event.ce_headers())  # as the relay sends it
    runtime.consumer().store(headers, event.body(), event.id)
    runtime.processor(HANDLERS).process_due()
    dispatcher = Dispatcher(runtime)
    try:
        dispatcher.deliver_due()
    finally:
        dispatcher.close()

    response = client.get(f"/v1/ops/referrals/{data.referral_id}/timeline", headers=operator_headers)
    assert response.status_code == 200, response.json
    timeline = response.json
    trace_id = format(producer.get_span_context().trace_id, "032x")
    [received] = timeline["events"]
    assert (received["event_id"], received["type"], received["status"]) == (event.id, "referral.sent", "sent")
    assert received["trace_id"] == trace_id and received["trace_url"] == "http://127.0.0.1:16686/trace/" + trace_id
    [delivery] = timeline["deliveries"]
    assert delivery["status"] == "temporary-failure" and delivery["trace_id"] == trace_id
    assert [a["status_code"] for a in delivery["attempts"]] == [500]

    failing = client.get("/v1/ops/webhooks/failing", headers=operator_headers).json["items"]
    assert [(f["retrying_deliveries"], f["url"].endswith("/te")) for f in failing] == [(1, True)]
    assert client.get(f"/v1/ops/referrals/{uuid.uuid4()}/timeline", headers=operator_headers).status_code == 404
