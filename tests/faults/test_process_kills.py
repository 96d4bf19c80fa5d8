"""Fault injection: processes killed with SIGKILL mid-flight lose nothing.

While referrals are being created, the referrals worker (relay, consumer, processor), the
notifications worker (consumer, processor, webhook dispatcher) and one referrals web worker are
killed and restarted. Every referral's `referral.sent` must still reach the receiver's endpoint;
counted by unique webhook-id, as a receiver that deduplicates would, each exactly once.
"""
from __future__ import annotations

import json
import os
import signal
import threading

import httpx

from tests.conftest import wait_for
from tests.e2e.harness import Hub
from tests.support.receiver import WebhookReceiver

REFERRALS = int(os.environ.get("HUB_FAULT_REFERRALS", "120"))
# Deadlines grow with the count, for the fuller runs (HUB_FAULT_REFERRALS=2000).
STEP_SECONDS = max(60, REFERRALS / 20)
BODY = {
    "client": {"first_name": "Testi", "last_name": "Henkilö", "birth_date": "2004-05-01",
               "personal_identity_code": "010504A902T", "language": "fi"},
    "consent": {"given": True, "method": "written", "given_at": "2026-11-20T10:00:00Z"},
    "needs": ["employment"], "urgency": "normal",
}


def create_with_retries(client: httpx.Client, body: dict, key: str) -> str:
    """What a well-behaved client system does: retry with the same Idempotency-Key until it gets an answer."""
    def attempt():
        try:
            response = client.post("/v1/referrals", json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            return None  # the web worker died under us: try again
        if response.status_code in (502, 503):
            return None
        assert response.status_code == 201, response.text
        return response.json()["id"]
    return wait_for(attempt, timeout=60, interval=0.1, message=f"referral {key} created")


def test_killing_workers_mid_flight_loses_no_webhook(hub: Hub):
    receiver = WebhookReceiver()
    try:
        operator = hub.operator_api()
        sender_org = hub.create_organisation(operator, "Ohjaamo Järvenpää", "ohjaamo")
        receiver_org = hub.create_organisation(operator, "Keski-Uudenmaan työllisyysalue", "employment_area")
        sender, receiving = hub.client_token(operator, sender_org), hub.client_token(operator, receiver_org)
        webhook = hub.api("notifications", receiving).post(
            "/v1/webhooks", json={"url": receiver.url("/hook"), "event_types": ["referral.sent"]})
        assert webhook.status_code == 201, webhook.text

        body = {**BODY, "to_organisation_id": receiver_org}
        referrals = hub.api("referrals", sender)
        wait_for(lambda: referrals.post("/v1/referrals", json=body, headers={"Idempotency-Key": "warm-up"}
                                        ).status_code == 201, timeout=30, message="referrals knows the receiver")

        created: list[str] = []
        done = threading.Event()

        def create_all():
            for number in range(REFERRALS):
                created.append(create_with_retries(referrals, body, f"fault-{number}"))
            done.set()

        creator = threading.Thread(target=create_all, daemon=True)
        creator.start()
        # Kill each kind of process while referrals are flowing, then bring it back.
        wait_for(lambda: len(created) >= REFERRALS // 4, timeout=STEP_SECONDS)
        hub.kill("referrals-worker")
        hub.restart("referrals-worker")
        wait_for(lambda: len(created) >= REFERRALS // 2, timeout=STEP_SECONDS)
        hub.kill("notifications-worker")
        hub.restart("notifications-worker")
        wait_for(lambda: len(created) >= 3 * REFERRALS // 4, timeout=STEP_SECONDS)
        os.kill(hub.web_worker_pids("referrals")[0], signal.SIGKILL)  # gunicorn's master starts another
        assert done.wait(timeout=2 * STEP_SECONDS), "creating the referrals did not finish"
        creator.join()

        expected = set(created) | {_warm_up_id(referrals, body)}

        def delivered_referrals() -> set[str]:
            return {json.loads(r.body)["data"]["referral_id"] for r in receiver.received("/hook")}

        wait_for(lambda: delivered_referrals() >= expected, timeout=max(120, REFERRALS / 8), interval=0.2,
                 message="every referral's webhook arrived")
        unique_ids = {r.headers["webhook-id"] for r in receiver.received("/hook")}
        assert len(unique_ids) == len(expected), "one webhook-id per referral.sent, however often it was retried"
        assert delivered_referrals() == expected
    finally:
        receiver.close()


def _warm_up_id(client: httpx.Client, body: dict) -> str:
    response = client.post("/v1/referrals", json=body, headers={"Idempotency-Key": "warm-up"})
    assert response.status_code == 201
    return response.json()["id"]
