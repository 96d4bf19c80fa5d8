"""Fault injection on the real servers: RabbitMQ and PostgreSQL restarted mid-flight lose nothing.

These restart the machine's own servers, so they run only where that is allowed
(`HUB_TEST_RESTART_SERVERS=1`, set by CI, whose servers serve nothing else at the time).
"""
from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.e2e.harness import Hub, hub_for_mode
from tests.faults.test_process_kills import BODY, create_with_retries
from tests.support.receiver import WebhookReceiver

REFERRALS = int(os.environ.get("HUB_FAULT_RESTART_REFERRALS", "300"))

pytestmark = pytest.mark.skipif(os.environ.get("HUB_TEST_RESTART_SERVERS") != "1",
                                reason="restarts the machine's RabbitMQ/PostgreSQL: CI sets HUB_TEST_RESTART_SERVERS=1")


def restart_rabbitmq() -> None:
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)


def restart_postgresql() -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   capture_output=True, timeout=120)


@pytest.fixture
def hub(request, tmp_path):
    running = hub_for_mode(request, tmp_path, "real")
    try:
        yield running.start()
    finally:
        running.stop()


@pytest.mark.parametrize("restart", [restart_rabbitmq, restart_postgresql], ids=["rabbitmq", "postgresql"])
def test_server_restart_mid_flight_loses_no_webhook(hub: Hub, restart):
    receiver = WebhookReceiver()
    try:
        operator = hub.operator_api()
        sender_org = hub.create_organisation(operator, "Ohjaamo Tuusula", "ohjaamo")
        receiver_org = hub.create_organisation(operator, "Keski-Uudenmaan työllisyysalue", "employment_area")
        sender, receiving = hub.client_token(operator, sender_org), hub.client_token(operator, receiver_org)
        assert hub.api("notifications", receiving).post(
            "/v1/webhooks", json={"url": receiver.url("/hook"), "event_types": ["referral.sent"]}).status_code == 201
        body = {**BODY, "to_organisation_id": receiver_org}
        referrals = hub.api("referrals", sender)
        wait_for(lambda: referrals.post("/v1/referrals", json=body, headers={"Idempotency-Key": "warm-up"}
                                        ).status_code == 201, timeout=30, message="referrals knows the receiver")

        created: list[str] = []
        creator = threading.Thread(target=lambda: created.extend(
            create_with_retries(referrals, body, f"restart-{n}") for n in range(REFERRALS)), daemon=True)
        creator.start()
        wait_for(lambda: len(created) >= REFERRALS // 5, timeout=max(60, REFERRALS / 20), message="referrals flowing")
        restart()  # while referrals are being created, published, consumed and delivered
        creator.join(timeout=max(300, REFERRALS / 5))
        assert not creator.is_alive(), "creating the referrals did not finish"
        assert len(created) == REFERRALS

        def delivered() -> set[str]:
            return {json.loads(r.body)["data"]["referral_id"] for r in receiver.received("/hook")}

        wait_for(lambda: delivered() >= set(created), timeout=max(180, REFERRALS / 8), interval=0.25,
                 message="every referral's webhook arrived after the restart")
        assert len({r.headers["webhook-id"] for r in receiver.received("/hook")}) == len(delivered())
    finally:
        receiver.close()
