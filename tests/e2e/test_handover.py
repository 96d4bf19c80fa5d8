"""One referral handed over end to end, through real processes, in both run modes.

HTTP request in referrals -> outbox -> broker -> notifications' inbox -> a signed webhook at a
real HTTP receiver, verified with the Standard Webhooks reference library; then `accept` brings
`referral.accepted` back to the sender. Nothing personal may appear in any payload.
"""
from __future__ import annotations

import json

import httpx
import pytest
from standardwebhooks import Webhook

from tests.conftest import wait_for
from tests.e2e.harness import Hub
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

CLIENT = {"first_name": "Aino-Eetu", "last_name": "Testinen", "birth_date": "2004-05-01",
          "personal_identity_code": "010504A902T", "phone": "+358401234567",
          "email": "aino.testinen@example.fi", "language": "fi"}
PERSONAL_VALUES = ["Aino-Eetu", "Testinen", "010504A902T", "358401234567", "aino.testinen@example.fi"]


@pytest.fixture
def receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def verified_events(receiver: WebhookReceiver, path: str, secret: str) -> list[dict]:
    events = []
    for request in receiver.received(path):
        payload = Webhook(secret).verify(request.body, request.headers)  # raises if the signature is wrong
        events.append({"id": request.headers["webhook-id"], **payload})
    return events


def test_referral_handover_end_to_end(hub: Hub, receiver: WebhookReceiver):
    operator = hub.operator_api()
    sender_org = hub.create_organisation(operator, "Ohjaamo Kerava", "ohjaamo")
    receiver_org = hub.create_organisation(operator, "Keski-Uudenmaan työllisyysalue", "employment_area")
    third_org = hub.create_organisation(operator, "Ohjaamo Sipoo", "ohjaamo")
    sender, receiving, third = (hub.client_token(operator, org) for org in (sender_org, receiver_org, third_org))

    secrets = {}
    for token, path in ((sender, "/sender"), (receiving, "/receiver")):
        response = hub.api("notifications", token).post("/v1/webhooks", json={"url": receiver.url(path),
                                                                                "event_types": ["*"]})
        assert response.status_code == 201, response.text
        assert response.json()["secret"].startswith("whsec_")
        secrets[path] = response.json()["secret"]

    referral_body = {
        "to_organisation_id": receiver_org, "client": CLIENT,
        "consent": {"given": True, "method": "written", "given_at": "2026-11-20T10:00:00Z", "expires_at": None},
        "needs": ["employment", "housing"], "reason": "Etsii töitä ja asuntoa", "urgency": "normal",
    }
    referrals = hub.api("referrals", sender)
    # The receiver reaches referrals' read model through accounts' events: wait for it.
    created = wait_for(lambda: _created_or_none(referrals.post("/v1/referrals", json=referral_body,
                                                               headers={"Idempotency-Key": "e2e-1"})),
                       timeout=30, message="referrals knows both organisations")
    referral_id = created["id"]
    assert created["status"] == "sent"

    # referral.sent reaches the receiver's system, signed.
    wait_for(lambda: any(e["type"] == "referral.sent" for e in verified_events(receiver, "/receiver",
                                                                                secrets["/receiver"])),
             timeout=30, message="referral.sent delivered to the receiver")
    sent = next(e for e in verified_events(receiver, "/receiver", secrets["/receiver"]) if e["type"] == "referral.sent")
    assert sent["data"]["referral_id"] == referral_id
    assert "traceparent" not in {k.lower() for k in receiver.received("/receiver")[0].headers}

    # The receiver reads it (first read -> received) and accepts.
    receiving_api = hub.api("referrals", receiving)
    read = receiving_api.get(f"/v1/referrals/{referral_id}")
    assert read.status_code == 200 and read.json()["status"] == "received"
    assert read.json()["client"]["personal_identity_code"] == CLIENT["personal_identity_code"]
    accepted = receiving_api.post(f"/v1/referrals/{referral_id}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"

    wait_for(lambda: any(e["type"] == "referral.accepted" for e in verified_events(receiver, "/sender",
                                                                                    secrets["/sender"])),
             timeout=30, message="referral.accepted delivered to the sender")

    # A third organisation sees nothing; no token is 401; bad input names the field.
    assert hub.api("referrals", third).get(f"/v1/referrals/{referral_id}").status_code == 404
    assert hub.api("referrals").get(f"/v1/referrals/{referral_id}").status_code == 401
    bad = referrals.post("/v1/referrals", json={**referral_body, "client": {**CLIENT, "personal_identity_code": "010504A902X"}})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert "client.personal_identity_code" in [e["field"] for e in bad.json()["errors"]]

    # Deliveries are logged as delivered.
    deliveries = wait_for(lambda: _all_delivered(hub.api("notifications", receiving)), timeout=30,
                          message="delivery log shows delivered")
    assert {d["status"] for d in deliveries} == {"delivered"}

    # No personal data in any webhook body or header ...
    for request in receiver.received():
        blob = request.body.decode() + json.dumps(request.headers)
        for value in PERSONAL_VALUES:
            assert value not in blob, f"personal data {value!r} leaked into a webhook"
    # ... nor in any process's log lines or exported spans (stopping flushes the span exporters).
    hub.stop()
    assert hub.trace_file.exists() and hub.trace_file.stat().st_size > 0, "no spans were exported"
    logs, spans = hub.log_text(), hub.trace_file.read_text()
    for value in PERSONAL_VALUES:
        assert value not in logs, f"personal data {value!r} in a log line"
        assert value not in spans, f"personal data {value!r} in a span"


def _created_or_none(response: httpx.Response):
    if response.status_code == 201:
        return response.json()
    assert response.status_code == 422, response.text  # the receiver is not yet known: nothing was written
    return None


def _all_delivered(notifications: httpx.Client):
    response = notifications.get("/v1/deliveries")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return items if items and all(d["status"] == "delivered" for d in items) else None
