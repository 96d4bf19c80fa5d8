"""The audit log: who did what to which target, without secrets; operators see all, an admin its own."""
from __future__ import annotations

import json

from accounts.keys import KeyStore
from tests.accounts.conftest import OPERATOR_ID, bearer


def actions(page: dict) -> list[str]:
    return [entry["action"] for entry in page["items"]]


def test_administrative_actions_are_logged_newest_first_without_secrets(hub):
    operator = hub.operator()
    org = hub.create_org()
    hub.client.patch(f"/v1/organisations/{org['id']}", json={"response_deadline_days": 7}, headers=operator)
    client = hub.create_client(org["id"])
    rotated = hub.client.post(f"/v1/organisations/{org['id']}/api-clients/{client['client_id']}/rotate-secret",
                              headers=operator).json
    hub.client.delete(f"/v1/organisations/{org['id']}/api-clients/{client['client_id']}", headers=operator)
    hub.client.put(f"/v1/organisations/{org['id']}/services", headers=operator, json=[])
    hub.client.post(f"/v1/organisations/{org['id']}/deactivate", headers=operator)
    hub.client.post(f"/v1/organisations/{org['id']}/reactivate", headers=operator)
    KeyStore(hub.runtime.settings, hub.runtime.sessions).rotate()

    page = hub.client.get("/v1/audit-log?limit=200", headers=operator).json
    assert actions(page)[:9] == [
        "signing_key.rotated", "organisation.reactivated", "organisation.deactivated",
        "organisation.services_replaced", "api_client.revoked", "api_client.secret_rotated", "api_client.created",
        "organisation.updated", "organisation.created"]
    patch = page["items"][7]
    assert patch["actor"] == {"subject": OPERATOR_ID, "kind": "api_client", "organisation_id": None}
    assert patch["target_id"] == org["id"] and patch["organisation_id"] == org["id"]
    assert patch["changes"] == {"response_deadline_days": {"from": 14, "to": 7}}
    assert page["items"][-1]["actor"]["kind"] == "system"  # the first signing key, made at start
    text = json.dumps(page)
    assert client["client_secret"] not in text and rotated["client_secret"] not in text
    assert page["items"][5]["changes"] == {"client_secret": "(changed)"}


def test_an_organisations_admin_sees_only_its_own_organisation(hub):
    operator = hub.operator()
    org, other = hub.create_org(), hub.create_org()
    hub.client.patch(f"/v1/organisations/{other['id']}", json={"response_deadline_days": 7}, headers=operator)
    admin = hub.create_client(org["id"], scopes=("organisations:admin",))
    headers = bearer(hub.token(admin["client_id"], admin["client_secret"]))
    page = hub.client.get("/v1/audit-log", headers=headers).json
    assert {entry["organisation_id"] for entry in page["items"]} == {org["id"]}
    assert actions(page) == ["api_client.created", "organisation.created"]
    assert hub.client.get(f"/v1/audit-log?organisation_id={other['id']}", headers=headers).status_code == 403
    assert actions(hub.client.get(f"/v1/audit-log?organisation_id={other['id']}&action=organisation.updated",
                                  headers=operator).json) == ["organisation.updated"]


def test_audit_log_pages_with_a_cursor(hub):
    operator = hub.operator()
    for _ in range(3):
        hub.create_org()
    first = hub.client.get("/v1/audit-log?limit=2&action=organisation.created", headers=operator).json
    second = hub.client.get(f"/v1/audit-log?limit=2&action=organisation.created&cursor={first['next_cursor']}",
                            headers=operator).json
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None
