"""The webhooks API: registration with SSRF checks, secrets, organisation isolation, rotation, deletion."""
from __future__ import annotations

import base64
import uuid

import pytest
import sqlalchemy as sa

from shared.contracts.events import ApiClientRevoked
from shared.db import utcnow

from notifications.app import create_app
from notifications.models import Webhook
from notifications.settings import NotificationsSettings
from notifications.signing_secrets import active_secrets

ORG_A, ORG_B, ORG_C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def test_register_answers_the_secret_once_and_stores_it_encrypted(client, runtime, org_headers):
    response = client.post("/v1/webhooks", json={"url": "https://te.example.fi/hook?x=1",
                                                 "event_types": ["referral.sent", "referral.sent", "*"]},
                           headers=org_headers(ORG_A))
    assert response.status_code == 201
    body = response.json
    assert body["secret"].startswith("whsec_") and 24 <= len(base64.b64decode(body["secret"][6:])) <= 32
    assert body["event_types"] == ["referral.sent", "*"] and body["enabled"] is True
    assert response.headers["Location"] == f"/v1/webhooks/{body['id']}"

    listed = client.get("/v1/webhooks", headers=org_headers(ORG_A)).json
    assert [item["id"] for item in listed["items"]] == [body["id"]] and listed["next_cursor"] is None
    assert "secret" not in listed["items"][0]

    with runtime.sessions() as session:
        webhook = session.get(Webhook, uuid.UUID(body["id"]))
        assert body["secret"].encode() not in webhook.secret_encrypted
        assert body["secret"][6:].encode() not in webhook.secret_encrypted
        assert active_secrets(runtime.extras["keyring"], webhook, utcnow()) == [body["secret"]]


@pytest.mark.parametrize("payload, field", [
    ({"url": "https://x.example/hook", "event_types": ["referral.unknown"]}, "event_types.0"),
    ({"url": "https://x.example/hook", "event_types": ["notification.delivered"]}, "event_types.0"),
    ({"url": "https://x.example/hook", "event_types": []}, "event_types"),
    ({"url": "ftp://x.example/hook", "event_types": ["*"]}, "url"),
    ({"url": "https:///no-host", "event_types": ["*"]}, "url"),
    ({"url": "https://x.example:99999/", "event_types": ["*"]}, "url"),
    ({"event_types": ["*"]}, "url"),
    ({"url": "https://x.example/hook", "event_types": "*"}, "event_types"),
])
def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(client, runtime, org_headers, payload, field):
    response = client.post("/v1/webhooks", json=payload, headers=org_headers(ORG_A))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in [error["field"] for error in response.json["errors"]]
    with runtime.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Webhook)) == 0


@pytest.fixture
def strict_client(tmp_path, tokens):
    """A service that refuses private URLs; `resolved` maps host names to what DNS would answer."""
    resolved = {"rebind.example": ["203.0.113.10", "127.0.0.1"], "public.example": ["93.184.215.14"]}
    app = create_app(NotificationsSettings(var_dir=tmp_path, allow_private_urls=False), verifier=tokens.verifier())
    runtime = app.extensions["hub.runtime"]
    runtime.migrate()
    real_resolve = __import__("notifications.url_guard", fromlist=["resolve"]).resolve
    runtime.extras["resolver"] = lambda host, port: resolved.get(host) or real_resolve(host, port)
    yield app.test_client()
    runtime.engine.dispose()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "https://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/",
    "http://localhost:8080/hook", "http://[::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://0.0.0.0/",
    "https://192.168.1.20/", "https://100.64.0.1/", "https://224.0.0.1/", "https://rebind.example/hook",
])
def test_private_and_loopback_urls_are_refused(strict_client, org_headers, url):
    response = strict_client.post("/v1/webhooks", json={"url": url, "event_types": ["*"]},
                                  headers=org_headers(ORG_A))
    assert response.status_code == 422, response.json
    assert response.json["errors"][0]["field"] == "url"


def test_a_public_url_is_accepted_when_private_ones_are_refused(strict_client, org_headers):
    for url in ("https://public.example/hook", "https://93.184.215.14/hook"):
        response = strict_client.post("/v1/webhooks", json={"url": url, "event_types": ["*"]},
                                      headers=org_headers(ORG_A))
        assert response.status_code == 201, response.json


def test_tokens_and_scopes(client, tokens, org_headers):
    payload = {"url": "https://x.example/hook", "event_types": ["*"]}
    assert client.post("/v1/webhooks", json=payload).status_code == 401
    assert client.get("/v1/webhooks", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.post("/v1/webhooks", json=payload, headers=org_headers(ORG_A, scopes=("referrals:read",))
                       ).status_code == 403
    operator = tokens.headers(roles=("operator",), scopes=("webhooks:manage",))
    assert client.post("/v1/webhooks", json=payload, headers=operator).status_code == 403
    assert client.post("/v1/webhooks", json=payload, headers=tokens.headers(scopes=("webhooks:manage",))
                       ).status_code == 403  # no organisation in the token


def test_another_organisation_cannot_see_or_touch_an_endpoint(client, register, org_headers):
    mine = register(ORG_A, "https://a.example/hook")
    other = org_headers(ORG_C)
    assert client.get("/v1/webhooks", headers=other).json["items"] == []
    for method, suffix, body in (("delete", "", None), ("post", "/rotate-secret", None),
                                 ("post", "/recover", {"since": "2026-01-01T00:00:00Z"}),
                                 ("patch", "", {"enabled": False})):
        response = getattr(client, method)(f"/v1/webhooks/{mine['id']}{suffix}", json=body, headers=other)
        assert response.status_code == 404, (suffix, response.json)
    assert client.delete(f"/v1/webhooks/{uuid.uuid4()}", headers=other).status_code == 404
    assert client.delete("/v1/webhooks/not-a-uuid", headers=other).status_code == 422
    assert len(client.get("/v1/webhooks", headers=org_headers(ORG_A)).json["items"]) == 1


def test_operators_list_every_organisations_endpoints(client, register, tokens):
    register(ORG_A, "https://a.example/hook")
    register(ORG_B, "https://b.example/hook")
    listed = client.get("/v1/webhooks", headers=tokens.headers(roles=("operator",))).json["items"]
    assert {item["organisation_id"] for item in listed} == {str(ORG_A), str(ORG_B)}


def test_patch_disables_enables_and_refilters_an_endpoint(client, register, org_headers):
    webhook = register(ORG_A, "https://a.example/hook", event_types=["referral.sent"])
    url, headers = f"/v1/webhooks/{webhook['id']}", org_headers(ORG_A)

    off = client.patch(url, json={"enabled": False}, headers=headers)
    assert off.status_code == 200 and off.json["enabled"] is False
    assert off.json["disabled_reason"] == "Disabled by the organisation."
    on = client.patch(url, json={"enabled": True, "event_types": ["referral.accepted", "referral.sent",
                                                                   "referral.accepted"]}, headers=headers)
    assert on.status_code == 200 and on.json["enabled"] is True and on.json["disabled_reason"] is None
    assert on.json["event_types"] == ["referral.accepted", "referral.sent"]
    assert client.get("/v1/webhooks", headers=headers).json["items"][0]["event_types"] == ["referral.accepted",
                                                                                         "referral.sent"]


@pytest.mark.parametrize("payload, field", [({"enabled": "sometimes"}, "enabled"), ({"event_types": []}, "event_types"),
                                            ({"event_types": ["notification.delivered"]}, "event_types.0"),
                                            ({"url": "https://elsewhere.example/"}, "url")])
def test_a_bad_patch_names_the_field_and_changes_nothing(client, register, org_headers, payload, field):
    webhook = register(ORG_A, "https://a.example/hook")
    response = client.patch(f"/v1/webhooks/{webhook['id']}", json=payload, headers=org_headers(ORG_A))
    assert response.status_code == 422 and response.json["errors"][0]["field"] == field, response.json
    listed = client.get("/v1/webhooks", headers=org_headers(ORG_A)).json["items"][0]
    assert listed["enabled"] is True and listed["event_types"] == ["*"] and listed["url"] == "https://a.example/hook"


def test_delete_hides_the_endpoint(client, register, org_headers):
    webhook = register(ORG_A, "https://a.example/hook")
    assert client.delete(f"/v1/webhooks/{webhook['id']}", headers=org_headers(ORG_A)).status_code == 204
    assert client.get("/v1/webhooks", headers=org_headers(ORG_A)).json["items"] == []
    assert client.delete(f"/v1/webhooks/{webhook['id']}", headers=org_headers(ORG_A)).status_code == 404


def test_rotation_answers_a_new_secret_and_keeps_the_old_one_for_the_overlap(client, runtime, register, org_headers):
    webhook = register(ORG_A, "https://a.example/hook")
    response = client.post(f"/v1/webhooks/{webhook['id']}/rotate-secret", headers=org_headers(ORG_A))
    assert response.status_code == 200
    rotated = response.json
    assert rotated["secret"] != webhook["secret"] and rotated["previous_secret_expires_at"]
    with runtime.sessions() as session:
        stored = session.get(Webhook, uuid.UUID(webhook["id"]))
        ring = runtime.extras["keyring"]
        assert active_secrets(ring, stored, utcnow()) == [rotated["secret"], webhook["secret"]]
        assert active_secrets(ring, stored, stored.previous_secret_expires_at) == [rotated["secret"]]


def test_pages_follow_the_cursor(client, register, org_headers):
    ids = [register(ORG_A, f"https://a.example/{n}")["id"] for n in range(3)]
    first = client.get("/v1/webhooks?limit=2", headers=org_headers(ORG_A)).json
    second = client.get(f"/v1/webhooks?limit=2&cursor={first['next_cursor']}", headers=org_headers(ORG_A)).json
    assert [i["id"] for i in first["items"] + second["items"]] == ids and second["next_cursor"] is None
    bad = client.get("/v1/webhooks?cursor=garbage", headers=org_headers(ORG_A))
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "cursor"
    assert client.get("/v1/webhooks?limit=0", headers=org_headers(ORG_A)).status_code == 422


def test_a_revoked_clients_tokens_are_refused(client, handle, tokens):
    headers = tokens.headers(org=str(ORG_A), scopes=("webhooks:manage",), sub="client-revoked")
    assert client.get("/v1/webhooks", headers=headers).status_code == 200
    handle(ApiClientRevoked(client_id="client-revoked", organisation_id=ORG_A, revoked_at=utcnow()))
    response = client.get("/v1/webhooks", headers=headers)
    assert response.status_code == 401 and "revoked" in response.json["detail"]
    assert client.get("/v1/webhooks", headers=tokens.headers(org=str(ORG_A), scopes=("webhooks:manage",))
                      ).status_code == 200
