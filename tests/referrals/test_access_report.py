"""`POST /v1/access-reports`: who has read a person's data, for an organisation's admin or an operator;
the identity code never in a URL or a log line; the report itself logged."""
from __future__ import annotations

import logging

from tests.referrals.conftest import referral_body

CODE = "010504A902T"
OTHER_CLIENT = {"first_name": "Eino", "last_name": "Toinen", "personal_identity_code": "020605A901F",
                "birth_date": "2005-06-02"}


def test_an_admin_sees_who_read_the_clients_referrals_of_its_organisation(client, orgs, as_org, tokens, sent,
                                                                        caplog):
    counsellor = tokens.headers(org=str(orgs.receiver), scopes=("referrals:read",), sub="counsellor-1",
                                roles=("counsellor",))
    client.get(f"/v1/referrals/{sent['id']}", headers=counsellor)
    elsewhere = client.post("/v1/referrals", json=referral_body(orgs.third), headers=as_org(orgs.sender)).json
    other = client.post("/v1/referrals", json=referral_body(orgs.receiver, client=OTHER_CLIENT),
                        headers=as_org(orgs.sender))
    assert other.status_code == 201  # another client of the same receiver: not in the report

    caplog.set_level(logging.DEBUG)
    admin = as_org(orgs.receiver, roles=("org_admin",), sub="dpo-1")
    response = client.post("/v1/access-reports", json={"personal_identity_code": CODE.lower()}, headers=admin)
    assert response.status_code == 200, response.json
    [item] = response.json["items"]
    assert item["referral_id"] == sent["id"] and response.json["next_cursor"] is None
    reads = [(r["subject"], r["organisation_id"], r["endpoint"]) for r in item["reads"]]
    assert ("counsellor-1", str(orgs.receiver), "GET /v1/referrals/<referral_id>") in reads
    assert reads[0][1] == str(orgs.sender)  # the sender's own view at creation
    assert CODE not in caplog.text and CODE.lower() not in caplog.text

    # the report is itself in the access log, shown the next time
    again = client.post("/v1/access-reports", json={"personal_identity_code": CODE}, headers=admin).json
    assert ("dpo-1", str(orgs.receiver), "POST /v1/access-reports") in [
        (r["subject"], r["organisation_id"], r["endpoint"]) for r in again["items"][0]["reads"]]

    sender_admin = as_org(orgs.sender, roles=("org_admin",))
    both = client.post("/v1/access-reports", json={"personal_identity_code": CODE, "limit": 1}, headers=sender_admin)
    first = both.json
    assert len(first["items"]) == 1 and first["next_cursor"]
    rest = client.post("/v1/access-reports", json={"personal_identity_code": CODE, "cursor": first["next_cursor"]},
                       headers=sender_admin).json
    assert {first["items"][0]["referral_id"], rest["items"][0]["referral_id"]} == {sent["id"], elsewhere["id"]}


def test_operator_sees_every_referral_of_the_client_but_no_client_data(client, orgs, as_org, operator, sent):
    client.post("/v1/referrals", json=referral_body(orgs.third), headers=as_org(orgs.sender))
    response = client.post("/v1/access-reports", json={"personal_identity_code": CODE}, headers=operator)
    assert response.status_code == 200 and len(response.json["items"]) == 2
    assert "Aino" not in response.get_data(as_text=True)


def test_who_may_ask(client, orgs, as_org, sent):
    body = {"personal_identity_code": CODE}
    assert client.post("/v1/access-reports", json=body).status_code == 401
    assert client.post("/v1/access-reports", json=body, headers=as_org(orgs.receiver)).status_code == 403
    third_admin = as_org(orgs.third, roles=("org_admin",))
    assert client.post("/v1/access-reports", json=body, headers=third_admin).json == {"items": [], "next_cursor": None}


def test_a_bad_code_is_422_without_echoing_it(client, orgs, as_org):
    response = client.post("/v1/access-reports", json={"personal_identity_code": "010504A902X"},
                           headers=as_org(orgs.sender, roles=("org_admin",)))
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "personal_identity_code"
    assert "010504A902X" not in response.get_data(as_text=True)
