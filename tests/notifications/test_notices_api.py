"""People's notices over the API: who is told of what, the list with read markers and paging, the
unread count, marking read, another organisation's notice (404), who may call (people only), and
the notification settings with their validation and the address encrypted at rest."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa

from shared.contracts.events import (PersonDeactivated, ReferralCommented, ReferralDeclined,
                                     ReferralReceived, WebhookDisabled)

from notifications.models import Notice, NotificationSettings

from tests.notifications.conftest import referral_sent

SENDER, RECEIVER = uuid.uuid4(), uuid.uuid4()


def later(sent, model, **fields):
    """Another event of the same referral (status and sequence moved on)."""
    common = sent.model_dump(exclude={"urgency", "deadline_at"})
    return model(**{**common, "sequence": sent.sequence + 1, "occurred_at": datetime.now(timezone.utc), **fields})


def notices(client, headers, **query) -> dict:
    answer = client.get("/v1/notices", headers=headers, query_string=query)
    assert answer.status_code == 200, answer.json
    return answer.json


def test_each_event_tells_the_party_it_concerns(client, handle, person_headers):
    sent = referral_sent(SENDER, RECEIVER)
    handle(sent)
    handle(later(sent, ReferralReceived, status="received"))  # tells nobody
    handle(later(sent, ReferralDeclined, status="declined", reason="at_capacity", sequence=3))
    handle(later(sent, ReferralCommented, comment_id=uuid.uuid4(), author_organisation_id=SENDER, sequence=4))

    receiver = notices(client, person_headers(uuid.uuid4(), RECEIVER))["items"]
    sender = notices(client, person_headers(uuid.uuid4(), SENDER))["items"]
    assert [(n["kind"], n["code"]) for n in receiver] == [("referral.commented", None), ("referral.sent", None)]
    assert [(n["kind"], n["code"]) for n in sender] == [("referral.declined", "at_capacity")]
    assert all(n["referral_id"] == str(sent.referral_id) and n["read"] is False for n in receiver + sender)
    assert set(receiver[0]) == {"id", "kind", "referral_id", "webhook_id", "code", "occurred_at", "created_at", "read"}


def test_a_redelivered_event_makes_one_notice(runtime, handle):
    from shared.contracts.envelope import Event

    event = Event.of(referral_sent(SENDER, RECEIVER), source="/referrals")
    handle(event.data, event)
    handle(event.data, event)
    with runtime.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 1


def test_read_markers_are_per_person_and_the_unread_count_follows(client, handle, person_headers):
    for _ in range(3):
        handle(referral_sent(SENDER, RECEIVER))
    aino, bertil = person_headers(uuid.uuid4(), RECEIVER), person_headers(uuid.uuid4(), RECEIVER)
    first = notices(client, aino)["items"][0]

    marked = client.post(f"/v1/notices/{first['id']}/read", headers=aino)
    assert marked.status_code == 200 and marked.json["read"] is True and marked.json["id"] == first["id"]
    assert client.post(f"/v1/notices/{first['id']}/read", headers=aino).status_code == 200  # again: no change
    assert client.get("/v1/notices/unread-count", headers=aino).json == {"unread": 2}
    assert client.get("/v1/notices/unread-count", headers=bertil).json == {"unread": 3}
    assert [n["id"] for n in notices(client, aino, unread_only="true")["items"]] == \
        [n["id"] for n in notices(client, aino)["items"] if n["id"] != first["id"]]

    assert client.post("/v1/notices/read-all", headers=aino).json == {"marked": 2}
    assert client.post("/v1/notices/read-all", headers=aino).json == {"marked": 0}
    assert client.get("/v1/notices/unread-count", headers=aino).json == {"unread": 0}
    assert all(n["read"] for n in notices(client, aino)["items"])
    assert client.get("/v1/notices/unread-count", headers=bertil).json == {"unread": 3}


def test_the_list_is_newest_first_in_stable_pages(client, handle, person_headers):
    for _ in range(5):
        handle(referral_sent(SENDER, RECEIVER))
    headers = person_headers(uuid.uuid4(), RECEIVER)
    everything = notices(client, headers)["items"]
    assert [n["created_at"] for n in everything] == sorted((n["created_at"] for n in everything), reverse=True)
    first = notices(client, headers, limit=2)
    second = notices(client, headers, limit=2, cursor=first["next_cursor"])
    third = notices(client, headers, limit=2, cursor=second["next_cursor"])
    assert third["next_cursor"] is None
    assert [n["id"] for n in first["items"] + second["items"] + third["items"]] == [n["id"] for n in everything]
    forged = client.get("/v1/notices", headers=headers, query_string={"cursor": "bm90LWEtY3Vyc29y"})
    assert forged.status_code == 422 and forged.json["errors"][0]["field"] == "cursor"


def test_another_organisations_notice_is_not_found(client, handle, person_headers):
    handle(referral_sent(SENDER, RECEIVER))
    theirs = notices(client, person_headers(uuid.uuid4(), RECEIVER))["items"][0]
    stranger = person_headers(uuid.uuid4(), uuid.uuid4())
    answer = client.post(f"/v1/notices/{theirs['id']}/read", headers=stranger)
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    assert client.post(f"/v1/notices/{uuid.uuid4()}/read", headers=stranger).status_code == 404
    assert notices(client, stranger)["items"] == []


def test_webhook_notices_are_for_admins_only(client, handle, person_headers):
    handle(WebhookDisabled(webhook_id=uuid.uuid4(), organisation_id=SENDER, reason="The endpoint answered 410 Gone.",
                           at=datetime.now(timezone.utc)))
    admin = notices(client, person_headers(uuid.uuid4(), SENDER, "org_admin"))["items"]
    assert [n["kind"] for n in admin] == ["webhook.disabled"] and admin[0]["webhook_id"]
    assert notices(client, person_headers(uuid.uuid4(), SENDER))["items"] == []


def test_only_people_may_call(client, tokens, org_headers):
    client_token = org_headers(RECEIVER, scopes=("referrals:read", "webhooks:manage"))
    operator = tokens.headers(roles=("operator",), scopes=("ops:read", "organisations:admin"), client_id=None)
    for headers in (client_token, operator):
        for method, path in (("get", "/v1/notices"), ("get", "/v1/notices/unread-count"),
                             ("post", "/v1/notices/read-all"), ("get", "/v1/me/notification-settings")):
            assert getattr(client, method)(path, headers=headers).status_code == 403, (path, headers)
    assert client.get("/v1/notices").status_code == 401


def test_a_deactivated_persons_token_is_refused(client, handle, person_headers):
    person_id = uuid.uuid4()
    headers = person_headers(person_id, RECEIVER)
    assert client.get("/v1/notices", headers=headers).status_code == 200  # not known yet: the token decides
    handle(PersonDeactivated(person_id=person_id, organisation_id=RECEIVER, role="counsellor", active=False,
                             sequence=2))
    refused = client.get("/v1/notices", headers=headers)
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"


def test_settings_default_then_saved_with_the_address_encrypted(runtime, client, person_headers):
    person_id = uuid.uuid4()
    headers = person_headers(person_id, RECEIVER)
    assert client.get("/v1/me/notification-settings", headers=headers).json == \
        {"email": None, "language": "fi", "email_frequency": "immediately"}
    body = {"email": "aino.ohjaaja@kerava.fi", "language": "sv", "email_frequency": "daily"}
    assert client.put("/v1/me/notification-settings", headers=headers, json=body).json == body
    assert client.get("/v1/me/notification-settings", headers=headers).json == body
    with runtime.sessions() as session:
        stored = session.get(NotificationSettings, person_id)
        assert stored.email_encrypted and b"kerava" not in stored.email_encrypted
    # Someone else's settings are their own.
    assert client.get("/v1/me/notification-settings", headers=person_headers(uuid.uuid4(), RECEIVER)).json["email"] is None
    cleared = {**body, "email": None, "email_frequency": "off"}
    assert client.put("/v1/me/notification-settings", headers=headers, json=cleared).json == cleared
    with runtime.sessions() as session:
        assert session.get(NotificationSettings, person_id).email_encrypted is None


def test_invalid_settings_name_the_field_and_change_nothing(client, person_headers):
    headers = person_headers(uuid.uuid4(), RECEIVER)
    valid = {"email": "a@kerava.fi", "language": "fi", "email_frequency": "immediately"}
    for wrong, field in (({"email": "not an address"}, "email"), ({"email": "a@" + "x" * 260 + ".fi"}, "email"),
                         ({"language": "de"}, "language"), ({"email_frequency": "hourly"}, "email_frequency"),
                         ({"phone": "040 123 4567"}, "phone")):
        answer = client.put("/v1/me/notification-settings", headers=headers, json={**valid, **wrong})
        assert answer.status_code == 422, wrong
        assert answer.mimetype == "application/problem+json"
        assert field in [error["field"] for error in answer.json["errors"]], answer.json
    missing = client.put("/v1/me/notification-settings", headers=headers, json={"email": None})
    assert {e["field"] for e in missing.json["errors"]} == {"language", "email_frequency"}
    assert client.get("/v1/me/notification-settings", headers=headers).json["email"] is None
