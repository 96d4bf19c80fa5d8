"""A referral's journey through notifications, and the endpoints that are failing, for operators.

The timeline lists the referral's events as this service received them (from its inbox: when,
handled or not, attempts, dead or not) and the webhook deliveries they made with every attempt,
each with its trace id so the operator can open the whole journey in the tracing UI.
"""
from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from shared.telemetry import trace_id_of, without_query

from notifications.models import Delivery, DeliveryAttempt, ReferralParty, Webhook


def referral_timeline(runtime, referral_id: uuid.UUID, tracing_ui_url: str) -> dict | None:
    """None when this service has never heard of the referral."""
    inbox = runtime.tables.inbox
    c = inbox.c

    def link(trace_id: str | None) -> str | None:
        return tracing_ui_url + trace_id if trace_id else None

    with runtime.sessions() as session:
        party = session.get(ReferralParty, referral_id)
        if party is None:
            return None
        # Events carry the referral id in their thin data; only referral.* rows of this consumer are read.
        rows = session.execute(
            sa.select(c.event_id, c.type, c.payload, c.headers, c.received_at, c.processed_at, c.attempts,
                      c.last_error, c.dead_at)
            .where(c.consumer == runtime.queue_name, c.type.like("referral.%"),
                   c.payload.contains(str(referral_id)))
            .order_by(c.received_at, c.event_id)).all()
        events = []
        for row in rows:
            data = json.loads(row.payload)
            if data.get("referral_id") != str(referral_id):
                continue
            trace_id = trace_id_of(row.headers)
            events.append({"event_id": row.event_id, "type": row.type, "status": data.get("status"),
                           "sequence": data.get("sequence"), "received_at": row.received_at,
                           "processed_at": row.processed_at, "attempts": row.attempts, "dead_at": row.dead_at,
                           "last_error": row.last_error, "trace_id": trace_id, "trace_url": link(trace_id)})
        deliveries = session.execute(sa.select(Delivery).where(Delivery.referral_id == referral_id)
                                     .order_by(Delivery.created_at, Delivery.id)).scalars().all()
        attempts: dict[uuid.UUID, list[dict]] = {d.id: [] for d in deliveries}
        if deliveries:
            for attempt in session.execute(sa.select(DeliveryAttempt)
                                           .where(DeliveryAttempt.delivery_id.in_(list(attempts)))
                                           .order_by(DeliveryAttempt.id)).scalars():
                attempts[attempt.delivery_id].append({"at": attempt.at, "status_code": attempt.status_code,
                                                      "duration_ms": attempt.duration_ms, "error": attempt.error})
        delivered = []
        for delivery in deliveries:
            trace_id = trace_id_of(delivery.trace_headers)
            delivered.append({"id": delivery.id, "webhook_id": delivery.webhook_id,
                              "organisation_id": delivery.organisation_id, "event_id": delivery.event_id,
                              "event_type": delivery.event_type, "status": delivery.status,
                              "created_at": delivery.created_at, "delivered_at": delivery.delivered_at,
                              "next_attempt_at": delivery.next_attempt_at, "attempts": attempts[delivery.id],
                              "trace_id": trace_id, "trace_url": link(trace_id)})
        return {"referral_id": referral_id, "status": party.status,
                "from_organisation_id": party.from_organisation_id, "to_organisation_id": party.to_organisation_id,
                "events": events, "deliveries": delivered}


def failing_endpoints_statement() -> sa.Select:
    """Endpoints disabled, or failing since a time, with their deliveries awaiting a retry."""
    waiting = (sa.select(sa.func.count()).where(Delivery.webhook_id == Webhook.id,
                                                Delivery.status == "temporary-failure")
               .correlate(Webhook).scalar_subquery())
    return (sa.select(Webhook.id, Webhook.organisation_id, Webhook.url, Webhook.enabled, Webhook.disabled_reason,
                      Webhook.first_failure_at, Webhook.created_at, waiting.label("retrying_deliveries"))
            .where(Webhook.deleted_at.is_(None),
                   sa.or_(Webhook.enabled.is_(False), Webhook.first_failure_at.is_not(None))))


def failing_endpoint(row) -> dict:
    values = dict(row._mapping)
    # A URL's query may hold the receiver's own token: operators see where, not how.
    values["url"] = without_query(values["url"])
    return values
