"""The outbox relay: publishes pending outbox rows with publisher confirms, then marks them sent.

A row is marked published only after the broker confirmed it, so a crash in between publishes it
again (consumers deduplicate by event id). An event whose routing key reaches no queue is an
error, never silence: it stays pending with `last_error` set and is retried with back-off.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

import sqlalchemy as sa
from kombu import Producer
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind

from shared.contracts.envelope import ce_headers
from shared.db import utcnow
from shared.messaging import broker, topology
from shared.messaging.wakeup import Wakeup
from shared.telemetry import extract_context, inject_headers, tracer

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 300


class UnroutableEvent(RuntimeError):
    """The broker (or, embedded, the topology) has no queue for this routing key."""


class Publisher:
    """Publishes hub events on one connection; raises UnroutableEvent instead of losing a message."""

    def __init__(self, connection, confirm_timeout: float = 10.0):
        self.connection = connection
        self.rabbitmq = connection.transport.driver_type == "amqp"
        self.system = "rabbitmq" if self.rabbitmq else "kombu-sqlalchemy"
        self.channel = connection.channel()
        self.confirm_timeout = confirm_timeout
        self._returned: set[str] = set()
        # Only py-amqp reports basic.return; the embedded broker is checked against the topology.
        self.producer = Producer(self.channel, exchange=topology.exchange,
                                 on_return=self._on_return if self.rabbitmq else None)

    def _on_return(self, exception, exchange, routing_key, message):
        self._returned.add(message.properties.get("message_id") or "")

    def publish(self, *, event_id: str, routing_key: str, body: bytes, headers: dict) -> None:
        if not topology.queues_for(routing_key):
            raise UnroutableEvent(f"no queue is bound to routing key {routing_key!r}")
        self._returned.discard(event_id)
        options = {"confirm_timeout": self.confirm_timeout} if self.rabbitmq else {}
        self.producer.publish(body, routing_key=routing_key, headers=headers, message_id=event_id,
                              content_type="application/json", content_encoding="utf-8",
                              delivery_mode=2, mandatory=True, retry=False, **options)
        if event_id in self._returned:
            raise UnroutableEvent(f"the broker returned {event_id} ({routing_key}) as unroutable")

    def close(self) -> None:
        try:
            self.channel.close()
        except Exception:
            pass


class OutboxRelay:
    def __init__(self, engine, outbox: sa.Table, broker_url: str, service: str, *,
                 batch_size: int = 100, confirm_timeout: float = 10.0, poll_interval: float = 0.05):
        self.engine, self.outbox, self.broker_url, self.service = engine, outbox, broker_url, service
        self.batch_size, self.confirm_timeout = batch_size, confirm_timeout
        self.wakeup = Wakeup(engine, f"hub_outbox_{service}", poll_interval)
        self._publisher: Publisher | None = None
        self._connection = None
        # Several relays may run against PostgreSQL: each locks the rows it publishes.
        self._lock_rows = engine.dialect.name == "postgresql"

    # -- broker connection -------------------------------------------------------------------
    def publisher(self) -> Publisher:
        if self._publisher is None:
            self._connection = broker.connect(self.broker_url)
            self._publisher = Publisher(self._connection, self.confirm_timeout)
        return self._publisher

    def reset_connection(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:
                pass
        self._publisher = self._connection = None

    # -- one pass ----------------------------------------------------------------------------
    def _pending(self, connection, now):
        query = (sa.select(self.outbox).where(self.outbox.c.published_at.is_(None))
                 .where(sa.or_(self.outbox.c.next_attempt_at.is_(None), self.outbox.c.next_attempt_at <= now))
                 .order_by(self.outbox.c.position).limit(self.batch_size))
        if self._lock_rows:
            query = query.with_for_update(skip_locked=True)
        return connection.execute(query).all()

    def _publish_rows(self, rows) -> tuple[list[str], dict[str, str]]:
        """Publish each row; returns the confirmed ids and the errors by id (broker errors propagate)."""
        confirmed, failed = [], {}
        publisher = self.publisher()
        for row in rows:
            parent = extract_context(row.trace_headers)
            link = trace.get_current_span(parent).get_span_context()
            with tracer("hub.messaging").start_as_current_span(
                f"publish {topology.EXCHANGE_NAME}:{row.type}", context=parent, kind=SpanKind.PRODUCER,
                links=[Link(link)] if link.is_valid else None,
                attributes={
                    "messaging.system": publisher.system,
                    "messaging.operation.type": "publish",
                    "messaging.destination.name": topology.EXCHANGE_NAME,
                    "messaging.rabbitmq.destination.routing_key": row.type,
                    "messaging.message.id": row.id,
                    "hub.service": self.service,
                },
            ) as span:
                headers = inject_headers(ce_headers(id=row.id, source=row.source, type=row.type, time=row.time,
                                                      subject=row.subject))
                try:
                    publisher.publish(event_id=row.id, routing_key=row.type, body=row.payload.encode(),
                                      headers=headers)
                except UnroutableEvent as exc:
                    span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))
                    log.error("unroutable event", extra={"event_id": row.id, "event_type": row.type})
                    failed[row.id] = str(exc)
                    continue
            confirmed.append(row.id)
        return confirmed, failed

    def _mark(self, connection, confirmed: list[str], failed: dict[str, str], rows, now) -> None:
        if confirmed:
            connection.execute(self.outbox.update().where(self.outbox.c.id.in_(confirmed))
                               .values(published_at=now, last_error=None))
        attempts = {row.id: row.attempts for row in rows}
        for event_id, error in failed.items():
            tries = attempts[event_id] + 1
            delay = min(MAX_BACKOFF_SECONDS, 2 ** tries)
            connection.execute(self.outbox.update().where(self.outbox.c.id == event_id).values(
                attempts=tries, last_error=error[:2000], next_attempt_at=now + timedelta(seconds=delay)))

    def relay_once(self) -> int:
        """Publish one batch; returns how many rows were confirmed by the broker."""
        now = utcnow()
        if self._lock_rows:
            with self.engine.begin() as connection:
                rows = self._pending(connection, now)
                confirmed, failed = self._publish_rows(rows)
                self._mark(connection, confirmed, failed, rows, utcnow())
        else:
            # SQLite: do not hold the database's single write lock while talking to the broker.
            with self.engine.connect() as connection:
                rows = self._pending(connection, now)
            confirmed, failed = self._publish_rows(rows)
            with self.engine.begin() as connection:
                self._mark(connection, confirmed, failed, rows, utcnow())
        return len(confirmed)

    def run(self, stop: threading.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                published = self.relay_once()
                backoff = 0.5
            except Exception:
                log.warning("relay pass failed; will retry", exc_info=True)
                self.reset_connection()
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if published < self.batch_size:
                self.wakeup.wait()
        self.reset_connection()
        self.wakeup.close()
