"""Which deliveries an event makes: one per enabled endpoint of each organisation concerned.

Idempotent by construction (unique webhook_id + event_id): handling an event twice creates nothing
new. The body is built here, once, from the event's thin data; every attempt sends these bytes.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

import sqlalchemy as sa

from shared.contracts.envelope import Event
from shared.contracts.events import EVENT_TYPES
from shared.db import insert_new, utcnow
from shared.messaging.wakeup import notify
from shared.telemetry import inject_headers

from notifications.models import Delivery, Webhook

WAKEUP_CHANNEL = "hub_deliveries"
# What an endpoint may subscribe to: the hub's own notification.* events are never delivered,
# so no delivery can cause another.
DELIVERABLE_TYPES = tuple(sorted(t for t in EVENT_TYPES if t.startswith(("referral.", "organisation."))))
ALL_TYPES = "*"


def webhook_body(event: Event) -> str:
    return json.dumps({"type": event.type, "timestamp": event.time.isoformat(), "data": event.data_dict()},
                      separators=(",", ":"), ensure_ascii=False)


def subscribed(event_types: list[str], event_type: str) -> bool:
    return ALL_TYPES in event_types or event_type in event_types


def create_deliveries(session, event: Event, organisation_ids: Iterable[uuid.UUID],
                      referral_id: uuid.UUID | None = None) -> int:
    """Queue `event` for every matching endpoint of `organisation_ids`; returns how many were new."""
    if event.type not in DELIVERABLE_TYPES:
        return 0
    endpoints = session.execute(
        sa.select(Webhook.id, Webhook.organisation_id, Webhook.event_types)
        .where(Webhook.organisation_id.in_(set(organisation_ids)), Webhook.enabled.is_(True),
               Webhook.deleted_at.is_(None))).all()
    matching = [row for row in endpoints if subscribed(row.event_types, event.type)]
    if not matching:
        return 0
    now, body, trace_headers = utcnow(), webhook_body(event), inject_headers()
    rows = [{"id": uuid.uuid4(), "webhook_id": row.id, "organisation_id": row.organisation_id,
             "event_id": event.id, "event_type": event.type, "referral_id": referral_id, "body": body,
             "status": "created", "attempt_count": 0, "next_attempt_at": now, "created_at": now,
             "updated_at": now, "trace_headers": trace_headers} for row in matching]
    created = insert_new(session, Delivery, rows, ["webhook_id", "event_id"])
    notify(session, WAKEUP_CHANNEL)
    return created
