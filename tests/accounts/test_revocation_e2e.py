"""A revoked API client's tokens already issued are refused by referrals and notifications within
60 seconds (accounts emits api_client.revoked; both keep a denylist from it), through real
processes, in both run modes."""
from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import wait_for
from tests.e2e.harness import Hub, hub_for_mode

pytestmark = pytest.mark.e2e
REVOCATION_DEADLINE = 60.0


@pytest.fixture(params=["embedded", "real"])
def hub(request, tmp_path):
    """The whole hub (tests/accounts/conftest.py's `hub` is accounts alone, so the root fixture is shadowed here)."""
    running = hub_for_mode(request, tmp_path, request.param)
    try:
        yield running.start()
    finally:
        running.stop()


def test_a_revoked_clients_token_is_refused_everywhere_within_60_seconds(hub: Hub):
    operator = hub.operator_api()
    org = hub.create_organisation(operator, "Ohjaamo Järvenpää", "ohjaamo")
    created = operator.post(f"/v1/organisations/{org}/api-clients",
                            json={"name": "CRM", "scopes": ["referrals:read", "webhooks:manage"]})
    assert created.status_code == 201, created.text
    client_id = created.json()["client_id"]
    token = hub.token(client_id, created.json()["client_secret"])
    probes = {"referrals": (hub.api("referrals", token), "/v1/referrals?direction=incoming"),
              "notifications": (hub.api("notifications", token), "/v1/webhooks")}

    def statuses() -> dict[str, int]:
        return {name: client.get(path).status_code for name, (client, path) in probes.items()}

    assert statuses() == {"referrals": 200, "notifications": 200}
    assert operator.delete(f"/v1/organisations/{org}/api-clients/{client_id}").status_code == 204
    revoked_at = time.monotonic()
    assert hub.api("accounts", token).get("/v1/organisations").status_code == 401  # at once at accounts
    wait_for(lambda: statuses() == {"referrals": 401, "notifications": 401}, timeout=REVOCATION_DEADLINE,
             interval=0.2, message=f"revoked token still accepted: {statuses()}")
    assert time.monotonic() - revoked_at < REVOCATION_DEADLINE
    refused = httpx.post(hub.url("accounts") + "/oauth/token", data={"grant_type": "client_credentials"},
                         auth=(client_id, created.json()["client_secret"]), timeout=10)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
