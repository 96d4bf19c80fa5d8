"""Consent: withdrawn (by either party) or expired consent hides the client data from the receiver."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from referrals.domain.consent import client_data_visible, consent_valid
from referrals.domain.lifecycle import Party
from tests.referrals.conftest import count_rows, outbox_events

T0 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize("who", ["sender", "receiver"])
def test_either_party_withdraws_consent_and_the_receiver_sees_no_client_data(client, runtime, orgs, as_org,
                                                                             tokens, sent, who):
    party = getattr(orgs, who)
    path = f"/v1/referrals/{sent['id']}"
    client.post(f"{path}/comments", json={"text": "Soita iltapäivällä"}, headers=as_org(orgs.sender))
    withdrawer = tokens.headers(org=str(party), scopes=("referrals:read", "referrals:write"), sub="worker-7")
    response = client.post(f"{path}/consent/withdraw", headers=withdrawer)
    assert response.status_code == 200, response.json
    consent = response.json["consent"]
    assert consent["withdrawn_by"] == "worker-7" and consent["withdrawn_by_organisation_id"] == str(party)
    assert consent["withdrawn_at"] is not None
    assert response.headers["ETag"] == f'"{response.json["version"]}"' and response.json["version"] == 3
    [event] = outbox_events(runtime, "referral.consent_withdrawn")
    assert event["data"]["referral_id"] == sent["id"] and event["data"]["sequence"] == 3

    logged = count_rows(runtime, "access_log")
    receiver = client.get(path, headers=as_org(orgs.receiver)).json
    assert receiver["client_data_visible"] is False
    assert receiver["client"] is None and receiver["reason"] is None and receiver["responsible_worker"] is None
    history = client.get(f"{path}/history", headers=as_org(orgs.receiver)).json["items"]
    assert all(item["text"] is None for item in history)
    assert count_rows(runtime, "access_log") == logged  # nothing shown, nothing logged
    [entry] = [item for item in history if item["kind"] == "consent"]
    assert (entry["subject"], entry["organisation_id"], entry["code"]) == ("worker-7", str(party), "consent_withdrawn")

    sender = client.get(path, headers=as_org(orgs.sender)).json
    assert sender["client"]["first_name"] == "Aino"


def test_consent_is_withdrawn_once_by_a_party_only(client, runtime, orgs, as_org, operator, sent):
    path = f"/v1/referrals/{sent['id']}/consent/withdraw"
    assert client.post(path, headers=as_org(orgs.third)).status_code == 404
    assert client.post(path, headers=operator).status_code == 403
    assert client.post(path, headers=as_org(orgs.sender, scopes=("referrals:read",))).status_code == 403
    assert client.post(path, headers={**as_org(orgs.sender), "If-Match": '"9"'}).status_code == 412
    assert outbox_events(runtime, "referral.consent_withdrawn") == []
    assert client.post(path, headers={**as_org(orgs.sender), "If-Match": '"1"'}).status_code == 200
    again = client.post(path, headers=as_org(orgs.receiver))
    assert again.status_code == 409 and again.json["type"].endswith("consent-already-withdrawn")
    assert len(outbox_events(runtime, "referral.consent_withdrawn")) == 1


def test_expired_consent_hides_comment_texts_from_the_receiver(client, runtime, orgs, as_org, sent):
    path = f"/v1/referrals/{sent['id']}"
    client.post(f"{path}/comments", json={"text": "Soita iltapäivällä"}, headers=as_org(orgs.sender))
    with runtime.engine.begin() as connection:
        connection.execute(sa.text("UPDATE referrals SET consent_expires_at = '2001-01-01 00:00:00.000000'"))
    texts = [i["text"] for i in client.get(f"{path}/history", headers=as_org(orgs.receiver)).json["items"]]
    assert "Soita iltapäivällä" not in texts
    texts = [i["text"] for i in client.get(f"{path}/history", headers=as_org(orgs.sender)).json["items"]]
    assert "Soita iltapäivällä" in texts


def test_consent_rules_with_a_controlled_clock():
    expires, withdrawn = T0 + timedelta(days=30), T0 + timedelta(days=10)
    assert consent_valid(T0, expires, None)
    assert not consent_valid(expires, expires, None)  # expiry is exclusive
    assert consent_valid(withdrawn - timedelta(seconds=1), expires, withdrawn)
    assert not consent_valid(withdrawn, expires, withdrawn)
    later = T0 + timedelta(days=40)
    assert client_data_visible(Party.SENDER, later, expires, withdrawn)
    assert not client_data_visible(Party.RECEIVER, later, expires, None)
    assert not client_data_visible(None, T0, None, None)
