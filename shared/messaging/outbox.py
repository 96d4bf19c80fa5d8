"""Writing events in the same transaction as the state change that causes them."""
from __future__ import annotations

import sqlalchemy as sa
from opentelemetry import trace

from shared.contracts.envelope import Event
from shared.db import utcnow
from shared.messaging.wakeup import notify
from shared.telemetry import inject_headers


def outbox_channel(service: str) -> str:
    return f"hub_outbox_{service}"


def add_event(session, outbox: sa.Table, event: Event, service: str) -> None:
    """Stage `event` for publishing; it leaves only if the caller's transaction commits."""
    now = utcnow()
    session.execute(outbox.insert().values(
        id=event.id, type=event.type, source=event.source, subject=event.subject, time=event.time,
        payload=event.body().decode(), trace_headers=inject_headers() if trace.get_current_span().is_recording() else {},
        created_at=now, attempts=0, next_attempt_at=now,
    ))
    notify(session, outbox_channel(service))


def pending_count(connection, outbox: sa.Table) -> int:
    return connection.execute(sa.select(sa.func.count()).select_from(outbox)
                              .where(outbox.c.published_at.is_(None))).scalar_one()
