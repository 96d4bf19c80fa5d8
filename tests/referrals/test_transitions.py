"""The lifecycle through the API: events with codes, 409, 412 with If-Match, 403 for the wrong party,
comments and history."""
from __future__ import annotations

import pytest

from tests.referrals.conftest import outbox_events


def test_accept_emits_referral_accepted(client, runtime, orgs, as_org, sent):
    response = client.post(f"/v1/referrals/{sent['id']}/accept", headers=as_org(orgs.receiver))
    assert response.status_code == 200
    assert response.json["status"] == "accepted" and response.json["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert response.json["client"]["first_name"] == "Aino"  # as GET shows it
    [event] = outbox_events(runtime, "referral.accepted")
    assert event["data"] == {**event["data"], "referral_id": sent["id"], "status": "accepted", "sequence": 2,
                             "from_organisation_id": str(orgs.sender), "to_organisation_id": str(orgs.receiver)}


def test_the_whole_journey_emits_each_event_with_its_code(client, runtime, orgs, as_org, sent):
    receiver = as_org(orgs.receiver)
    path = f"/v1/referrals/{sent['id']}"
    client.get(path, headers=receiver)
    assert client.post(f"{path}/accept", headers=receiver).status_code == 200
    assert client.post(f"{path}/start", headers=receiver).status_code == 200
    done = client.post(f"{path}/complete", json={"outcome": "started_education", "note": "Aloitti"},
                       headers=receiver)
    assert done.status_code == 200 and done.json["status"] == "completed" and done.json["version"] == 5
    assert [e["type"] for e in outbox_events(runtime)] == [
        "referral.sent", "referral.received", "referral.accepted", "referral.started", "referral.completed"]
    assert outbox_events(runtime, "referral.completed")[0]["data"]["outcome"] == "started_education"
    assert "Aloitti" not in str(outbox_events(runtime))
    history = client.get(f"{path}/history", headers=as_org(orgs.sender)).json["items"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "sent"), ("sent", "received"), ("received", "accepted"), ("accepted", "in_progress"),
        ("in_progress", "completed")]
    assert history[-1]["code"] == "started_education" and history[-1]["text"] == "Aloitti"


def test_decline_and_withdraw_carry_their_reasons(client, runtime, orgs, as_org, sent):
    from tests.referrals.conftest import referral_body

    declined = client.post(f"/v1/referrals/{sent['id']}/decline", json={"reason": "outside_service_area"},
                           headers=as_org(orgs.receiver))
    assert declined.json["status"] == "declined"
    assert outbox_events(runtime, "referral.declined")[0]["data"]["reason"] == "outside_service_area"
    other = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.sender)).json
    withdrawn = client.post(f"/v1/referrals/{other['id']}/withdraw", json={"reason": "client_request"},
                            headers=as_org(orgs.sender))
    assert withdrawn.json["status"] == "withdrawn"
    assert outbox_events(runtime, "referral.withdrawn")[0]["data"]["reason"] == "client_request"


def test_disallowed_move_is_409_and_changes_nothing(client, runtime, orgs, as_org, sent):
    response = client.post(f"/v1/referrals/{sent['id']}/start", headers=as_org(orgs.receiver))
    assert response.status_code == 409
    assert response.json["current_status"] == "sent"
    client.post(f"/v1/referrals/{sent['id']}/decline", json={"reason": "at_capacity"}, headers=as_org(orgs.receiver))
    events = len(outbox_events(runtime))
    assert client.post(f"/v1/referrals/{sent['id']}/accept", headers=as_org(orgs.receiver)).status_code == 409
    assert client.post(f"/v1/referrals/{sent['id']}/withdraw", json={"reason": "other"},
                       headers=as_org(orgs.sender)).status_code == 409
    assert len(outbox_events(runtime)) == events


def test_wrong_party_is_403(client, orgs, as_org, sent):
    assert client.post(f"/v1/referrals/{sent['id']}/accept", headers=as_org(orgs.sender)).status_code == 403
    assert client.post(f"/v1/referrals/{sent['id']}/withdraw", json={"reason": "other"},
                       headers=as_org(orgs.receiver)).status_code == 403


def test_stale_if_match_is_412(client, runtime, orgs, as_org, sent):
    receiver = as_org(orgs.receiver)
    current = client.get(f"/v1/referrals/{sent['id']}", headers=receiver)  # version 2 now
    stale = client.post(f"/v1/referrals/{sent['id']}/accept", headers={**receiver, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["ETag"] == '"2"'
    assert outbox_events(runtime, "referral.accepted") == []
    fresh = client.post(f"/v1/referrals/{sent['id']}/accept",
                        headers={**receiver, "If-Match": current.headers["ETag"]})
    assert fresh.status_code == 200


@pytest.mark.parametrize("action,body,field", [
    ("decline", {}, "reason"), ("decline", {"reason": "bored"}, "reason"),
    ("complete", {"outcome": "at_capacity"}, "outcome"),
    ("withdraw", {"reason": "receiver_deactivated"}, "reason"),  # the hub's own reason
])
def test_transition_bodies_are_validated(client, orgs, as_org, sent, action, body, field):
    party = orgs.sender if action == "withdraw" else orgs.receiver
    response = client.post(f"/v1/referrals/{sent['id']}/{action}", json=body, headers=as_org(party))
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == field


def test_comments_are_stored_encrypted_and_emitted_without_text(client, runtime, orgs, as_org, sent):
    response = client.post(f"/v1/referrals/{sent['id']}/comments", json={"text": "Soitin Ainolle tänään"},
                           headers=as_org(orgs.receiver))
    assert response.status_code == 201
    assert response.json["kind"] == "comment" and response.json["text"] == "Soitin Ainolle tänään"
    [event] = outbox_events(runtime, "referral.commented")
    assert event["data"]["comment_id"] == response.json["id"]
    assert event["data"]["author_organisation_id"] == str(orgs.receiver)
    assert "Soitin" not in str(event)
    with runtime.engine.connect() as connection:
        raw = b"".join(bytes(row[0]) for row in connection.exec_driver_sql(
            "SELECT text_blob FROM referral_history WHERE text_blob IS NOT NULL"))
    assert "Soitin".encode() not in raw
    history = client.get(f"/v1/referrals/{sent['id']}/history", headers=as_org(orgs.sender)).json["items"]
    assert history[-1]["text"] == "Soitin Ainolle tänään"
    assert client.post(f"/v1/referrals/{sent['id']}/comments", json={"text": ""},
                       headers=as_org(orgs.sender)).status_code == 422


def test_history_pages(client, orgs, as_org, sent):
    for n in range(4):
        client.post(f"/v1/referrals/{sent['id']}/comments", json={"text": f"c{n}"}, headers=as_org(orgs.sender))
    first = client.get(f"/v1/referrals/{sent['id']}/history", query_string={"limit": 3},
                       headers=as_org(orgs.sender)).json
    second = client.get(f"/v1/referrals/{sent['id']}/history",
                        query_string={"limit": 3, "cursor": first["next_cursor"]}, headers=as_org(orgs.sender)).json
    assert [item["version"] for item in first["items"] + second["items"]] == [1, 2, 3, 4, 5]
    assert second["next_cursor"] is None
