"""One referral's journey is one trace across the real processes, and nothing personal is in it.

The hub runs as in `make run` (gunicorn with two workers + a worker process per service), exporting
spans to `HUB_TRACE_FILE`. After a handover the file must hold one trace for the referral.sent
event: the HTTP request in referrals, the relay's PRODUCER span, notifications' receive and
process CONSUMER spans and the webhook POST, with database spans and the messaging attributes.
"""
from __future__ import annotations

import json

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import wait_for
from tests.e2e.harness import Hub
from tests.e2e.test_handover import CLIENT, PERSONAL_VALUES, _created_or_none
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e
MESSAGING = ("messaging.system", "messaging.destination.name", "messaging.rabbitmq.destination.routing_key",
             "messaging.message.id")


@pytest.fixture
def hub(tmp_path):
    hub = Hub(tmp_path)
    try:
        yield hub.start()
    finally:
        hub.stop()


@pytest.fixture
def receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def test_a_referral_is_one_trace_from_request_to_webhook(hub: Hub, receiver: WebhookReceiver):
    operator = hub.operator_api()
    sender_org = hub.create_organisation(operator, "Ohjaamo Kerava", "ohjaamo")
    receiver_org = hub.create_organisation(operator, "Keski-Uudenmaan työllisyysalue", "employment_area")
    sender, receiving = hub.client_token(operator, sender_org), hub.client_token(operator, receiver_org)
    registered = hub.api("notifications", receiving).post("/v1/webhooks", json={"url": receiver.url("/te"),
                                                                                  "event_types": ["referral.sent"]})
    assert registered.status_code == 201, registered.text

    referrals = hub.api("referrals", sender)
    body = {"to_organisation_id": receiver_org, "client": CLIENT, "needs": ["employment"], "reason": "Etsii töitä",
            "consent": {"given": True, "method": "written", "given_at": "2026-11-20T10:00:00Z", "expires_at": None}}
    referral = wait_for(lambda: _created_or_none(referrals.post("/v1/referrals", json=body)), timeout=30,
                        message="referrals knows both organisations")
    # A query string naming the client (typed by mistake) must not reach a span or a log line either.
    assert referrals.get("/v1/referrals", params={"search": CLIENT["personal_identity_code"]}).status_code == 200
    [webhook] = wait_for(lambda: receiver.received("/te"), timeout=30, message="the webhook arrived")
    event_id = webhook.headers["webhook-id"]
    assert "traceparent" not in webhook.headers and "tracestate" not in webhook.headers

    # While the hub runs: /metrics adds up gunicorn's two workers and shows the worker process's counts.
    for _ in range(6):
        assert httpx.get(hub.url("referrals") + "/v1/referrals", headers=referrals.headers).status_code == 200
    assert _sample(hub, "referrals", "hub_http_requests_total", method="GET", route="/v1/referrals", status="200") == 7
    assert _sample(hub, "referrals", "hub_http_requests_total", method="POST", route="/v1/referrals", status="201") == 1
    assert wait_for(lambda: _sample(hub, "notifications", "hub_webhook_attempts_total", status="delivered"),
                    timeout=10, message="the worker process's attempt is counted") == 1
    assert _sample(hub, "notifications", "hub_webhook_deliveries", status="delivered") == 1

    hub.stop()  # flushes every process's span exporter
    spans = [json.loads(line) for line in hub.trace_file.read_text().splitlines() if line.strip()]
    of_event = [s for s in spans if s["attributes"].get("messaging.message.id") == event_id]
    trace_ids = {s["trace_id"] for s in of_event}
    assert len(trace_ids) == 1, f"the event's spans are in {len(trace_ids)} traces"
    journey = [s for s in spans if s["trace_id"] in trace_ids]
    by_kind = {(s["service"], s["kind"], s["name"].split(" ")[0]) for s in journey}
    assert ("referrals", "SERVER", "POST") in by_kind
    assert ("referrals", "PRODUCER", "publish") in by_kind
    assert ("notifications", "CONSUMER", "receive") in by_kind
    assert ("notifications", "CONSUMER", "process") in by_kind
    assert ("notifications", "CLIENT", "POST") in by_kind  # the webhook
    assert {s["service"] for s in journey if "db.system" in s["attributes"] or "db.system.name" in s["attributes"]} \
        == {"referrals", "notifications"}, "database spans of both services' processes"

    # (notification.delivered, emitted by the webhook attempt, continues the same trace.)
    [producer] = [s for s in of_event if s["kind"] == "PRODUCER"]
    [receive] = [s for s in of_event if s["kind"] == "CONSUMER" and s["name"].startswith("receive")]
    for span in (producer, receive):
        for attribute in MESSAGING:
            assert span["attributes"].get(attribute), f"{span['name']} lacks {attribute}"
        assert span["attributes"]["messaging.rabbitmq.destination.routing_key"] == "referral.sent"
    assert receive["parent_span_id"] == producer["span_id"]
    server = next(s for s in journey if s["kind"] == "SERVER")
    assert server["parent_span_id"] is None  # the journey starts at the request

    http_targets = [s["attributes"].get("http.target", "") for s in spans if s["kind"] == "SERVER"]
    assert http_targets and not any("?" in target for target in http_targets)
    logs, exported = hub.log_text(), hub.trace_file.read_text()
    for value in PERSONAL_VALUES:
        assert value not in exported, f"personal data {value!r} in a span"
        assert value not in logs, f"personal data {value!r} in a log line"
    assert referral["status"] == "sent"
    not_json = [line for line in logs.splitlines() if line.strip() and not _is_json(line)]
    assert not not_json, "log lines that are not JSON:\n" + "\n".join(not_json[:60])
    json_lines = [json.loads(line) for line in logs.splitlines() if line.strip()]
    assert {"gunicorn.error"} <= {line["logger"] for line in json_lines}, "gunicorn's own lines are JSON too"


def _sample(hub: Hub, service: str, name: str, **labels) -> float | None:
    text = httpx.get(hub.url(service) + "/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return sample.value
    return None


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
        return True
    except ValueError:
        return False
