"""Inbox handlers: keep the read models current, turn events into webhook deliveries and people's notices.

Read models ignore stale events by the aggregate's `sequence`; deliveries and notices are made for
every event regardless (each event is news to its receivers) and are idempotent per (endpoint,
event) and (organisation, event).
"""
from __future__ import annotations

from shared.contracts.envelope import Event
from shared.contracts.events import EVENT_TYPES
from shared.db import keep_newest

from notifications.delivery.fanout import create_deliveries
from notifications.models import Organisation, ReferralParty, RevokedClient
from notifications.notices.people import PERSON_SNAPSHOTS, on_person
from notifications.notices.store import record_notice

ORGANISATION_SNAPSHOTS = ("organisation.registered", "organisation.updated", "organisation.deactivated",
                          "organisation.reactivated")


def on_organisation(session, event: Event) -> None:
    data = event.data
    if event.type in ORGANISATION_SNAPSHOTS:
        keep_newest(session, Organisation, data.organisation_id, data.sequence, active=data.active)
    create_deliveries(session, event, [data.organisation_id])


def on_referral(session, event: Event) -> None:
    data = event.data
    keep_newest(session, ReferralParty, data.referral_id, data.sequence, status=data.status,
                from_organisation_id=data.from_organisation_id, to_organisation_id=data.to_organisation_id)
    create_deliveries(session, event, [data.from_organisation_id, data.to_organisation_id],
                      referral_id=data.referral_id)
    record_notice(session, event)


def on_webhook_disabled(session, event: Event) -> None:
    """The organisation's admins are told (in-app, and by email as they chose)."""
    record_notice(session, event)


def on_api_client_revoked(session, event: Event) -> None:
    if session.get(RevokedClient, event.data.client_id) is None:
        session.add(RevokedClient(client_id=event.data.client_id, revoked_at=event.data.revoked_at))


HANDLERS = {
    **{event_type: on_organisation for event_type in EVENT_TYPES if event_type.startswith("organisation.")},
    **{event_type: on_referral for event_type in EVENT_TYPES if event_type.startswith("referral.")},
    "api_client.revoked": on_api_client_revoked,
    **{event_type: on_person for event_type in PERSON_SNAPSHOTS},
    "webhook.disabled": on_webhook_disabled,
}
