"""Inbox handlers: read models by sequence, deliveries for both parties' matching endpoints, idempotency."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa

from shared.contracts.envelope import Event
from shared.contracts.events import OrganisationDeactivated, OrganisationRegistered, ReferralAccepted
from shared.db import unit_of_work

from notifications.models import Delivery, Organisation, ReferralParty, Webhook

from tests.notifications.conftest import referral_sent

SENDER, RECEIVER, BYSTANDER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PERSONAL_KEYS = {"client", "first_name", "last_name", "personal_identity_code", "birth_date", "phone", "email",
                 "reason", "note", "text", "name"}


def deliveries(runtime) -> list[Delivery]:
    with runtime.sessions() as session:
        return session.execute(sa.select(Delivery).order_by(Delivery.created_at)).scalars().all()


def test_a_referral_event_reaches_the_matching_endpoints_of_both_parties(runtime, register, handle):
    to_sender = register(SENDER, "https://s.example/all", ["*"])
    to_receiver = register(RECEIVER, "https://r.example/sent", ["referral.sent"])
    register(RECEIVER, "https://r.example/accepted-only", ["referral.accepted"])
    register(BYSTANDER, "https://b.example/all", ["*"])
    event = handle(referral_sent(SENDER, RECEIVER))

    made = deliveries(runtime)
    assert {str(d.webhook_id) for d in made} == {to_sender["id"], to_receiver["id"]}
    assert {d.organisation_id for d in made} == {SENDER, RECEIVER}
    assert all(d.status == "created" and d.event_id == event.id and d.referral_id == event.data.referral_id
               for d in made)
    body = json.loads(made[0].body)
    assert body == {"type": "referral.sent", "timestamp": event.time.isoformat(), "data": event.data_dict()}
    assert not PERSONAL_KEYS & set(body["data"])


def test_handling_an_event_twice_makes_no_second_delivery(runtime, register, handle):
    register(SENDER, "https://s.example/all")
    event = Event.of(referral_sent(SENDER, RECEIVER), source="/test")
    handle(event.data, event)
    handle(event.data, event)
    assert len(deliveries(runtime)) == 1


def test_disabled_and_deleted_endpoints_get_nothing(runtime, client, register, handle, org_headers):
    disabled = register(SENDER, "https://s.example/disabled")
    deleted = register(SENDER, "https://s.example/deleted")
    with unit_of_work(runtime.sessions) as session:
        session.get(Webhook, uuid.UUID(disabled["id"])).enabled = False
    client.delete(f"/v1/webhooks/{deleted['id']}", headers=org_headers(SENDER))
    handle(referral_sent(SENDER, RECEIVER))
    assert deliveries(runtime) == []


def test_referral_parties_keep_the_newest_status(runtime, handle):
    sent = referral_sent(SENDER, RECEIVER, sequence=1)
    accepted = ReferralAccepted(**{**sent.model_dump(exclude={"urgency", "deadline_at"}), "status": "accepted",
                                  "sequence": 2})
    handle(accepted)
    handle(sent)  # late and stale
    with runtime.sessions() as session:
        party = session.get(ReferralParty, sent.referral_id)
        assert (party.status, party.sequence, party.from_organisation_id, party.to_organisation_id) == \
            ("accepted", 2, SENDER, RECEIVER)


def organisation(model, org, sequence, active=True):
    return model(organisation_id=org, name={"fi": "Ohjaamo"}, type="ohjaamo", active=active, sequence=sequence)


def test_organisation_events_update_the_read_model_and_reach_only_its_own_endpoints(runtime, register, handle):
    own = register(SENDER, "https://s.example/org", ["organisation.deactivated"])
    register(RECEIVER, "https://r.example/all")
    handle(organisation(OrganisationRegistered, SENDER, 1))
    handle(organisation(OrganisationDeactivated, SENDER, 3, active=False))
    handle(organisation(OrganisationRegistered, SENDER, 2))  # stale
    with runtime.sessions() as session:
        stored = session.get(Organisation, SENDER)
        assert (stored.active, stored.sequence) == (False, 3)
    made = deliveries(runtime)
    assert [(str(d.webhook_id), d.event_type, d.referral_id) for d in made] == \
        [(own["id"], "organisation.deactivated", None)]


def test_a_deactivated_organisation_cannot_register_endpoints(client, handle, org_headers):
    handle(organisation(OrganisationDeactivated, SENDER, 1, active=False))
    response = client.post("/v1/webhooks", json={"url": "https://s.example/", "event_types": ["*"]},
                           headers=org_headers(SENDER))
    assert response.status_code == 403


def test_events_flow_from_the_inbox_through_the_processor(runtime, register):
    from notifications.handlers import HANDLERS

    register(RECEIVER, "https://r.example/all")
    event = Event.of(referral_sent(SENDER, RECEIVER), source="/referrals")
    consumer = runtime.consumer()
    assert consumer.store(event.ce_headers(), event.body(), event.id)
    assert not consumer.store(event.ce_headers(), event.body(), event.id)  # redelivered
    assert runtime.processor(HANDLERS).process_due() == 1
    assert [d.event_id for d in deliveries(runtime)] == [event.id]


def test_the_webhook_timestamp_is_the_event_time(runtime, register, handle):
    register(RECEIVER, "https://r.example/all")
    event = Event(type="referral.sent", data=referral_sent(SENDER, RECEIVER), source="/referrals",
                  time=datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc))
    handle(event.data, event)
    assert json.loads(deliveries(runtime)[0].body)["timestamp"] == "2026-11-20T10:00:00+00:00"
