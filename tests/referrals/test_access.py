"""Who sees what: parties only (404 for anyone else), operators without client data, the receiver's
first read, the access log, and the list of the caller's own referrals."""
from __future__ import annotations

import uuid

import pytest

from tests.referrals.conftest import count_rows, outbox_events, referral_body


def _paths(referral_id):
    return [("get", f"/v1/referrals/{referral_id}", None),
            ("get", f"/v1/referrals/{referral_id}/history", None),
            ("get", f"/v1/referrals/{referral_id}/access-log", None),
            ("post", f"/v1/referrals/{referral_id}/comments", {"text": "hello"}),
            ("post", f"/v1/referrals/{referral_id}/accept", None),
            ("post", f"/v1/referrals/{referral_id}/decline", {"reason": "at_capacity"}),
            ("post", f"/v1/referrals/{referral_id}/start", None),
            ("post", f"/v1/referrals/{referral_id}/complete", {"outcome": "started_work"}),
            ("post", f"/v1/referrals/{referral_id}/withdraw", {"reason": "other"})]


def test_a_third_organisation_gets_404_everywhere_and_nothing_changes(client, runtime, orgs, as_org, sent):
    third = as_org(orgs.third, roles=("org_admin",))
    before = (count_rows(runtime, "access_log"), count_rows(runtime, "outbox"), count_rows(runtime, "referral_history"))
    for method, path, body in _paths(sent["id"]):
        response = getattr(client, method)(path, json=body, headers=third)
        assert response.status_code == 404, (path, response.json)
        assert response.mimetype == "application/problem+json"
    assert (count_rows(runtime, "access_log"), count_rows(runtime, "outbox"),
            count_rows(runtime, "referral_history")) == before
    listed = client.get("/v1/referrals", headers=third).json
    assert listed == {"items": [], "next_cursor": None}


def test_unknown_and_malformed_ids(client, orgs, as_org):
    assert client.get(f"/v1/referrals/{uuid.uuid4()}", headers=as_org(orgs.sender)).status_code == 404
    assert client.get("/v1/referrals/not-a-uuid", headers=as_org(orgs.sender)).status_code == 422


def test_operator_sees_the_referral_but_never_client_data(client, runtime, orgs, operator, sent):
    response = client.get(f"/v1/referrals/{sent['id']}", headers=operator)
    assert response.status_code == 200
    body = response.json
    assert body["client_data_visible"] is False
    assert body["client"] is None and body["reason"] is None and body["responsible_worker"] is None
    assert "Aino" not in response.get_data(as_text=True)
    assert body["status"] == "sent"  # an operator's read is not the receiver's
    assert count_rows(runtime, "access_log") == 1  # only the sender's own view at creation
    for method, path, body in _paths(sent["id"])[3:]:
        assert getattr(client, method)(path, json=body, headers=operator).status_code == 403
    history = client.get(f"/v1/referrals/{sent['id']}/history", headers=operator)
    assert history.status_code == 200 and all(item["text"] is None for item in history.json["items"])
    log = client.get(f"/v1/referrals/{sent['id']}/access-log", headers=operator)
    assert log.status_code == 200 and len(log.json["items"]) == 1


def test_receivers_first_read_marks_it_received_logs_and_emits(client, runtime, orgs, as_org, tokens, sent):
    reader = tokens.headers(org=str(orgs.receiver), scopes=("referrals:read",), sub="counsellor-1",
                            roles=("counsellor",))
    response = client.get(f"/v1/referrals/{sent['id']}", headers=reader)
    assert response.status_code == 200
    assert response.json["status"] == "received" and response.json["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert response.json["client"]["first_name"] == "Aino"
    [event] = outbox_events(runtime, "referral.received")
    assert event["data"]["referral_id"] == sent["id"] and event["data"]["sequence"] == 2

    again = client.get(f"/v1/referrals/{sent['id']}", headers=reader)
    assert again.json["status"] == "received" and again.json["version"] == 2
    assert len(outbox_events(runtime, "referral.received")) == 1

    admin = as_org(orgs.receiver, roles=("org_admin",))
    log = client.get(f"/v1/referrals/{sent['id']}/access-log", headers=admin).json["items"]
    reads = [entry for entry in log if entry["subject"] == "counsellor-1"]
    assert len(reads) == 2
    assert reads[0]["organisation_id"] == str(orgs.receiver)
    assert reads[0]["endpoint"] == "GET /v1/referrals/<referral_id>"


def test_senders_read_does_not_receive(client, runtime, orgs, as_org, sent):
    response = client.get(f"/v1/referrals/{sent['id']}", headers=as_org(orgs.sender))
    assert response.json["status"] == "sent"
    assert outbox_events(runtime, "referral.received") == []


def test_access_log_needs_an_admin_of_a_party(client, orgs, as_org, sent):
    path = f"/v1/referrals/{sent['id']}/access-log"
    assert client.get(path, headers=as_org(orgs.sender)).status_code == 403
    assert client.get(path, headers=as_org(orgs.sender, roles=("org_admin",))).status_code == 200
    assert client.get(path, headers=as_org(orgs.third, roles=("org_admin",))).status_code == 404


def test_expired_consent_hides_client_data_from_the_receiver_only(client, runtime, orgs, as_org, sent):
    import sqlalchemy as sa

    with runtime.engine.begin() as connection:
        connection.execute(sa.text("UPDATE referrals SET consent_expires_at = '2001-01-01 00:00:00.000000'"))
    receiver = client.get(f"/v1/referrals/{sent['id']}", headers=as_org(orgs.receiver)).json
    assert receiver["client_data_visible"] is False and receiver["client"] is None
    assert receiver["status"] == "received"
    sender = client.get(f"/v1/referrals/{sent['id']}", headers=as_org(orgs.sender)).json
    assert sender["client"]["first_name"] == "Aino"


def test_list_pages_through_the_callers_referrals_only(client, orgs, as_org):
    ids = [client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.sender)).json["id"]
           for _ in range(5)]
    client.post("/v1/referrals", json=referral_body(orgs.third), headers=as_org(orgs.sender))
    client.post("/v1/referrals", json=referral_body(orgs.sender), headers=as_org(orgs.third))

    seen, cursor = [], None
    while True:
        query = {"direction": "incoming", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/referrals", query_string=query, headers=as_org(orgs.receiver)).json
        assert len(page["items"]) <= 2
        for item in page["items"]:
            assert "client" not in item and "needs" not in item
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))

    outgoing = client.get("/v1/referrals", query_string={"direction": "outgoing"}, headers=as_org(orgs.sender))
    assert len(outgoing.json["items"]) == 6
    both = client.get("/v1/referrals", headers=as_org(orgs.sender)).json["items"]
    assert len(both) == 7
    client.post(f"/v1/referrals/{ids[0]}/accept", headers=as_org(orgs.receiver))
    accepted = client.get("/v1/referrals", query_string={"status": "accepted"}, headers=as_org(orgs.sender)).json
    assert [item["id"] for item in accepted["items"]] == [ids[0]]
    since = accepted["items"][0]["updated_at"]
    recent = client.get("/v1/referrals", query_string={"updated_since": since}, headers=as_org(orgs.receiver)).json
    assert [item["id"] for item in recent["items"]] == [ids[0]]


@pytest.mark.parametrize("query", [{"cursor": "garbage!"}, {"cursor": "WzFd"}, {"limit": 0}, {"limit": 201},
                                   {"direction": "sideways"}, {"status": "lost"}, {"updated_since": "yesterday"}])
def test_bad_list_queries_are_422(client, orgs, as_org, query):
    response = client.get("/v1/referrals", query_string=query, headers=as_org(orgs.sender))
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == next(iter(query))


def test_list_needs_an_organisation(client, operator):
    assert client.get("/v1/referrals", headers=operator).status_code == 403
