"""An organisation's API clients: create (secret once), list, revoke (event), rotate the secret."""
from __future__ import annotations

from shared.contracts.events import ApiClientRevoked
from tests.accounts.conftest import basic


def test_create_list_revoke_with_event(hub):
    operator = hub.operator()
    org = hub.create_org()
    created = hub.create_client(org["id"], scopes=("referrals:write", "referrals:read"))
    assert set(created) == {"client_id", "client_secret", "scopes", "name", "created_at"}
    assert created["scopes"] == ["referrals:read", "referrals:write"]
    listed = hub.client.get(f"/v1/organisations/{org['id']}/api-clients", headers=operator).json
    assert [item["client_id"] for item in listed["items"]] == [created["client_id"]]
    assert "client_secret" not in listed["items"][0] and "secret_hash" not in listed["items"][0]

    url = f"/v1/organisations/{org['id']}/api-clients/{created['client_id']}"
    assert hub.client.delete(url, headers=operator).status_code == 204
    assert hub.client.delete(url, headers=operator).status_code == 204  # revoking twice: one event
    events = [row for row in hub.outbox() if row["type"] == "api_client.revoked"]
    assert len(events) == 1
    data = ApiClientRevoked.model_validate(events[0]["data"])
    assert data.client_id == created["client_id"] and str(data.organisation_id) == org["id"]
    listed = hub.client.get(f"/v1/organisations/{org['id']}/api-clients", headers=operator).json
    assert listed["items"][0]["revoked_at"] is not None


def test_rotate_secret_replaces_the_old_one(hub):
    org = hub.create_org()
    created = hub.create_client(org["id"])
    response = hub.client.post(f"/v1/organisations/{org['id']}/api-clients/{created['client_id']}/rotate-secret",
                               headers=hub.operator())
    assert response.status_code == 200
    new_secret = response.json["client_secret"]
    assert new_secret != created["client_secret"]
    old = hub.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                          headers=basic(created["client_id"], created["client_secret"]))
    assert old.status_code == 401
    assert hub.token(created["client_id"], new_secret)


def test_an_org_client_cannot_get_operator_scopes(hub):
    org = hub.create_org()
    response = hub.client.post(f"/v1/organisations/{org['id']}/api-clients", headers=hub.operator(),
                               json={"name": "x", "scopes": ["referrals:read", "ops:read"]})
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "scopes.1"
    response = hub.client.post(f"/v1/organisations/{org['id']}/api-clients", headers=hub.operator(),
                               json={"name": "x", "scopes": ["everything"]})
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "scopes.0"
    assert hub.count("api_clients") == 1  # only the bootstrap operator client


def test_a_deactivated_organisation_gets_no_new_clients(hub):
    operator = hub.operator()
    org = hub.create_org()
    hub.client.post(f"/v1/organisations/{org['id']}/deactivate", headers=operator)
    response = hub.client.post(f"/v1/organisations/{org['id']}/api-clients", headers=operator,
                               json={"name": "x", "scopes": ["referrals:read"]})
    assert response.status_code == 409


def test_an_org_admin_client_manages_its_own_clients(hub):
    org = hub.create_org()
    admin = hub.create_client(org["id"], scopes=("organisations:admin",))
    headers = {"Authorization": f"Bearer {hub.token(admin['client_id'], admin['client_secret'])}"}
    created = hub.create_client(org["id"], headers=headers)
    url = f"/v1/organisations/{org['id']}/api-clients/{created['client_id']}"
    assert hub.client.delete(url, headers=headers).status_code == 204
