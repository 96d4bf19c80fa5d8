"""Turning an event into a notice for an organisation and queueing the emails it makes at once.

Idempotent: a notice is unique per (organisation, event) and an email per (person, notice), so a
redelivered event adds nothing. Runs inside the inbox handler's transaction.
"""
from __future__ import annotations

import uuid

from shared.contracts.envelope import Event
from shared.db import insert_new, utcnow
from shared.messaging.wakeup import notify
from shared.telemetry import inject_headers

from notifications.email import WAKEUP_CHANNEL
from notifications.models import Email, Notice
from notifications.notices.addressing import addressee
from notifications.notices.people import email_recipients


def record_notice(session, event: Event) -> uuid.UUID | None:
    """Store the notice `event` makes (if any) and an email for each person who wants one at once.

    Returns the new notice's id; None when the event makes none or it was stored before."""
    told = addressee(event)
    if told is None:
        return None
    data, now, notice_id = event.data, utcnow(), uuid.uuid4()
    occurred_at = getattr(data, "occurred_at", None) or getattr(data, "at", None) or event.time
    created = insert_new(session, Notice, [{
        "id": notice_id, "organisation_id": told.organisation_id, "event_id": event.id, "kind": event.type,
        "audience": told.audience, "referral_id": getattr(data, "referral_id", None),
        "webhook_id": getattr(data, "webhook_id", None), "code": told.code, "occurred_at": occurred_at,
        "created_at": now}], ["organisation_id", "event_id"])
    if not created:
        return None
    trace_headers = inject_headers()
    emails = [{"id": uuid.uuid4(), "person_id": person_id, "organisation_id": told.organisation_id,
               "notice_id": notice_id, "status": "created", "attempt_count": 0, "next_attempt_at": now,
               "created_at": now, "updated_at": now, "trace_headers": trace_headers}
              for person_id, _organisation in session.execute(email_recipients(told.organisation_id, told.audience))]
    if insert_new(session, Email, emails, ["person_id", "notice_id"]):
        notify(session, WAKEUP_CHANNEL)
    return notice_id
