"""POST /v1/referrals: validation naming each field with nothing written, consent, identity codes,
Idempotency-Key, the duplicate warning, and who may send."""
from __future__ import annotations

import copy
import uuid

import pytest

from referrals.domain import identity
from tests.referrals.conftest import count_rows, deliver, organisation_event, outbox_events, referral_body

WRITTEN_TABLES = ("referrals", "referral_history", "access_log", "idempotency_keys", "outbox")


def written(runtime) -> dict:
    return {table: count_rows(runtime, table) for table in WRITTEN_TABLES}


def test_create_answers_201_with_status_etag_location_and_emits_sent(client, runtime, orgs, as_org):
    response = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.sender))
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "sent" and body["version"] == 1
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith(f"/v1/referrals/{body['id']}")
    assert body["client"]["personal_identity_code"] == "010504A902T"
    assert body["from_organisation_id"] == str(orgs.sender) and body["to_organisation_id"] == str(orgs.receiver)
    assert body["warnings"] == []
    [event] = outbox_events(runtime, "referral.sent")
    assert event["data"]["referral_id"] == body["id"] and event["data"]["sequence"] == 1
    assert event["data"]["deadline_at"] is not None
    assert "Aino" not in str(event) and "010504A902T" not in str(event)


@pytest.mark.parametrize("code,birth_date", [
    ("100190Y999P", "1990-01-10"),   # 2023 century sign for the 1900s
    ("100190-999P", "1990-01-10"),   # the same digits, the classic sign: another person
    ("010504B902T", "2004-05-01"),   # 2023 century sign for the 2000s
    ("010504a902t", "2004-05-01"),   # lower case is normalised
])
def test_identity_codes_with_every_century_sign_are_accepted(client, orgs, as_org, code, birth_date):
    body = referral_body(orgs.receiver)
    body["client"].update(personal_identity_code=code, birth_date=birth_date)
    response = client.post("/v1/referrals", json=body, headers=as_org(orgs.sender))
    assert response.status_code == 201, response.json
    assert response.json["client"]["personal_identity_code"] == code.upper()


def test_birth_date_is_filled_from_the_code(client, orgs, as_org):
    body = referral_body(orgs.receiver)
    del body["client"]["birth_date"]
    response = client.post("/v1/referrals", json=body, headers=as_org(orgs.sender))
    assert response.status_code == 201
    assert response.json["client"]["birth_date"] == "2004-05-01"


def test_birth_date_alone_is_enough(client, orgs, as_org):
    body = referral_body(orgs.receiver)
    del body["client"]["personal_identity_code"]
    assert client.post("/v1/referrals", json=body, headers=as_org(orgs.sender)).status_code == 201


def test_identity_helpers():
    assert identity.birth_date_of("100190Y999P").isoformat() == "1990-01-10"
    assert identity.birth_date_of("010504A902T").isoformat() == "2004-05-01"
    with pytest.raises(identity.InvalidIdentityCode):
        identity.normalise("010504A902U")


def _set(body: dict, dotted: str, value) -> dict:
    body = copy.deepcopy(body)
    *parents, leaf = dotted.split(".")
    target = body
    for name in parents:
        target = target[name]
    if value is _DELETE:
        del target[leaf]
    else:
        target[leaf] = value
    return body


_DELETE = object()

INVALID = [
    ("client.personal_identity_code", "010504A902U", "client.personal_identity_code"),  # checksum
    ("client.personal_identity_code", "310204A902T", "client.personal_identity_code"),  # no such date
    ("client.personal_identity_code", "010504G902T", "client.personal_identity_code"),  # no such sign
    ("client.personal_identity_code", "x" * 5000, "client.personal_identity_code"),
    ("client.birth_date", "2004-05-02", "client.birth_date"),  # does not match the code
    ("client.birth_date", "not a date", "client.birth_date"),
    ("consent.given", False, "consent.given"),
    ("consent.given", _DELETE, "consent.given"),
    ("consent", _DELETE, "consent"),
    ("consent.method", "telepathy", "consent.method"),
    ("consent.given_at", "2025-11-20T10:00:00", "consent.given_at"),  # no time zone
    ("consent.expires_at", "2020-01-01T00:00:00Z", "consent.expires_at"),
    ("needs", ["employment", "astrology"], "needs.1"),
    ("needs", [], "needs"),
    ("urgency", "whenever", "urgency"),
    ("to_organisation_id", "not-a-uuid", "to_organisation_id"),
    ("to_organisation_id", str(uuid.uuid4()), "to_organisation_id"),  # unknown receiver
    ("client.first_name", "   ", "client.first_name"),
    ("client.email", "not an email", "client.email"),
    ("client.nickname", "Ainoski", "client.nickname"),  # unknown field
    ("reason", "x" * 4001, "reason"),
]


@pytest.mark.parametrize("field,value,named", INVALID, ids=[f"{f}={str(v)[:20]}" for f, v, _ in INVALID])
def test_invalid_body_is_422_naming_the_field_and_writes_nothing(client, runtime, orgs, as_org, field, value, named):
    before = written(runtime)
    response = client.post("/v1/referrals", json=_set(referral_body(orgs.receiver), field, value),
                           headers=as_org(orgs.sender))
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert named in [error["field"] for error in response.json["errors"]]
    assert written(runtime) == before


def test_birth_date_is_required_without_a_code(client, runtime, orgs, as_org):
    body = referral_body(orgs.receiver)
    del body["client"]["personal_identity_code"], body["client"]["birth_date"]
    response = client.post("/v1/referrals", json=body, headers=as_org(orgs.sender))
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["client.birth_date"]
    assert count_rows(runtime, "referrals") == 0


def test_deactivated_receiver_is_422(client, runtime, orgs, as_org):
    deliver(runtime, organisation_event(orgs.receiver, sequence=2, active=False, kind="deactivated"))
    response = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.sender))
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "to_organisation_id"


@pytest.mark.parametrize("payload", [None, "text", [1, 2], {"to_organisation_id": None}])
def test_malformed_bodies_are_422(client, runtime, orgs, as_org, payload):
    response = client.post("/v1/referrals", json=payload, headers=as_org(orgs.sender))
    assert response.status_code == 422
    assert count_rows(runtime, "referrals") == 0


def test_sender_must_be_a_known_active_organisation(client, runtime, orgs, as_org):
    response = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(uuid.uuid4()))
    assert response.status_code == 403
    deliver(runtime, organisation_event(orgs.sender, sequence=2, active=False, kind="deactivated"))
    response = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.sender))
    assert response.status_code == 403
    assert count_rows(runtime, "referrals") == 0


def test_operators_and_read_only_tokens_cannot_create(client, orgs, as_org, operator, tokens):
    body = referral_body(orgs.receiver)
    assert client.post("/v1/referrals", json=body, headers=operator).status_code == 403
    assert client.post("/v1/referrals", json=body, headers=as_org(orgs.sender, scopes=("referrals:read",))
                       ).status_code == 403
    assert client.post("/v1/referrals", json=body).status_code == 401
    assert client.post("/v1/referrals", json=body, headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_same_idempotency_key_and_body_gives_the_same_referral(client, runtime, orgs, tokens):
    headers = {**tokens.headers(org=str(orgs.sender), scopes=("referrals:write",), sub="te-system"),
               "Idempotency-Key": "abc-123"}
    first = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=headers)
    again = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"]
    assert count_rows(runtime, "referrals") == 1
    assert len(outbox_events(runtime, "referral.sent")) == 1

    changed = referral_body(orgs.receiver, urgency="urgent")
    conflict = client.post("/v1/referrals", json=changed, headers=headers)
    assert conflict.status_code == 422
    assert conflict.json["errors"][0]["field"] == "Idempotency-Key"
    assert count_rows(runtime, "referrals") == 1

    other_client = {**tokens.headers(org=str(orgs.sender), scopes=("referrals:write",), sub="other-system"),
                    "Idempotency-Key": "abc-123"}
    assert client.post("/v1/referrals", json=changed, headers=other_client).status_code == 201
    assert count_rows(runtime, "referrals") == 2


def test_expired_idempotency_key_is_forgotten(client, runtime, orgs, tokens):
    import sqlalchemy as sa

    headers = {**tokens.headers(org=str(orgs.sender), scopes=("referrals:write",), sub="te-system"),
               "Idempotency-Key": "old"}
    first = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=headers)
    with runtime.engine.begin() as connection:
        connection.execute(sa.text("UPDATE idempotency_keys SET created_at = '2000-01-01 00:00:00.000000'"))
    again = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=headers)
    assert again.status_code == 201 and again.json["id"] != first.json["id"]


def test_open_referral_of_the_same_client_to_the_same_receiver_warns(client, orgs, as_org):
    first = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.sender))
    assert first.json["warnings"] == []
    second = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.third))
    assert second.status_code == 201
    assert [w["code"] for w in second.json["warnings"]] == ["open_referral_exists"]
    assert first.json["id"] not in str(second.json["warnings"])  # nothing about the other referral

    elsewhere = client.post("/v1/referrals", json=referral_body(orgs.third), headers=as_org(orgs.sender))
    assert elsewhere.json["warnings"] == []
    other_client = referral_body(orgs.receiver)
    other_client["client"].update(personal_identity_code="100190Y999P", birth_date="1990-01-10")
    assert client.post("/v1/referrals", json=other_client, headers=as_org(orgs.sender)).json["warnings"] == []


def test_closed_referral_does_not_warn(client, orgs, as_org, sent):
    client.post(f"/v1/referrals/{sent['id']}/withdraw", json={"reason": "sent_in_error"}, headers=as_org(orgs.sender))
    again = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.sender))
    assert again.json["warnings"] == []


def test_deadline_uses_the_receivers_days_in_helsinki(client, runtime, orgs, as_org):
    from datetime import datetime, timezone

    from referrals.domain.deadlines import deadline_for

    # 23:30 UTC on 31 Mar is already 1 Apr in Helsinki (EEST): 10 days -> end of 11 Apr local.
    assert deadline_for(datetime(2026, 3, 31, 23, 30, tzinfo=timezone.utc), 10) == \
        datetime(2026, 4, 11, 21, 0, tzinfo=timezone.utc)
    # Across the DST change (29 Mar 2026): still local midnight.
    assert deadline_for(datetime(2026, 3, 20, 12, 0, tzinfo=timezone.utc), 10) == \
        datetime(2026, 3, 30, 21, 0, tzinfo=timezone.utc)
