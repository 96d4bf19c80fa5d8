"""What referrals keeps of other services' events: the receivers' service capacity (a warning when
every service for the needs is closed) and when the receiver was notified."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from shared.contracts.envelope import Event
from shared.contracts.events import NotificationDelivered, OrganisationServicesUpdated, ServiceCapacity

from referrals.domain.capacity import all_closed, best_capacity_by_need
from tests.referrals.conftest import deliver, referral_body


def services_event(organisation_id, services: list[tuple[list[str], str]], sequence: int) -> Event:
    data = OrganisationServicesUpdated(organisation_id=organisation_id, sequence=sequence, services=[
        ServiceCapacity(service_id=uuid.uuid4(), needs=needs, capacity=capacity) for needs, capacity in services])
    return Event.of(data, source="/accounts")


def delivered_event(referral_id, organisation_id, at: datetime) -> Event:
    data = NotificationDelivered(notification_id=uuid.uuid4(), channel="webhook", organisation_id=organisation_id,
                                 event_id=uuid.uuid4(), event_type="referral.sent", referral_id=referral_id, at=at)
    return Event.of(data, source="/notifications")


def _warnings(client, orgs, as_org, needs) -> list[str]:
    body = client.post("/v1/referrals", json=referral_body(orgs.receiver, needs=needs), headers=as_org(orgs.sender))
    return [w["code"] for w in body.json["warnings"]]


def test_capacity_rules():
    best = best_capacity_by_need([(["employment"], "closed"), (["employment", "housing"], "waitlist"),
                                  (["health"], "closed")])
    assert best == {"employment": "waitlist", "housing": "waitlist", "health": "closed"}
    assert all_closed(best, ["health", "finances"]) and not all_closed(best, ["health", "housing"])
    assert not all_closed(best, ["finances"])  # nothing known, no warning


def test_a_referral_to_closed_services_warns(client, runtime, orgs, as_org):
    deliver(runtime, services_event(orgs.receiver, [(["employment"], "closed"), (["housing"], "closed"),
                                                    (["education"], "open")], sequence=1))
    assert _warnings(client, orgs, as_org, ["employment", "housing"]) == ["receiver_service_closed"]
    assert _warnings(client, orgs, as_org, ["employment", "education"]) == ["open_referral_exists"]
    deliver(runtime, services_event(orgs.receiver, [(["employment", "housing"], "open")], sequence=3))
    deliver(runtime, services_event(orgs.receiver, [(["employment", "housing"], "closed")], sequence=2))  # stale
    assert "receiver_service_closed" not in _warnings(client, orgs, as_org, ["employment", "housing"])


def test_receiver_notified_at_is_the_first_delivery_to_the_receiver(client, runtime, orgs, as_org, sent):
    referral_id = uuid.UUID(sent["id"])
    first = datetime(2026, 1, 5, 8, tzinfo=timezone.utc)
    deliver(runtime, delivered_event(referral_id, orgs.sender, first - timedelta(hours=1)))  # not the receiver
    assert client.get(f"/v1/referrals/{referral_id}", headers=as_org(orgs.sender)).json["receiver_notified_at"] is None
    deliver(runtime, delivered_event(referral_id, orgs.receiver, first + timedelta(minutes=5)))
    deliver(runtime, delivered_event(referral_id, orgs.receiver, first))  # arrives late, happened first
    deliver(runtime, delivered_event(referral_id, orgs.receiver, first + timedelta(days=1)))
    deliver(runtime, delivered_event(uuid.uuid4(), orgs.receiver, first))  # an unknown referral: ignored
    response = client.get(f"/v1/referrals/{referral_id}", headers=as_org(orgs.sender))
    assert datetime.fromisoformat(response.json["receiver_notified_at"]) == first
    assert response.headers["ETag"] == '"1"'  # not a change of the referral itself
    listed = client.get("/v1/referrals", headers=as_org(orgs.sender)).json["items"][0]
    assert datetime.fromisoformat(listed["receiver_notified_at"]) == first
