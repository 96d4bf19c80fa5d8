"""Idempotent consumers: the broker delivers into the inbox; handlers run from the inbox.

`InboxConsumer` stores each delivered message under `(consumer, event id)` and commits, *then*
acks, so a redelivered event changes nothing. `InboxProcessor` runs the service's handler for each
stored event in its own transaction (so the handler's writes and any events it emits commit
together), retries a failing handler with exponential back-off, and after `max_attempts` marks the
row dead: listed for operators, who can replay or discard it. A poison message never blocks a queue.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from kombu import Consumer
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind
from sqlalchemy.dialects import postgresql, sqlite

from shared.contracts.envelope import Event, EnvelopeError, ce_attributes, parse_event
from shared.db import unit_of_work, utcnow
from shared.messaging import broker, topology
from shared.messaging.wakeup import Wakeup, notify
from shared.telemetry import extract_context, inject_headers, tracer

log = logging.getLogger(__name__)
Handler = Callable[[object, Event], None]


def inbox_channel(consumer: str) -> str:
    return "hub_inbox_" + consumer.replace(".", "_")


def _insert_ignoring_duplicates(table: sa.Table, dialect: str, values: dict):
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).values(**values).on_conflict_do_nothing().returning(table.c.event_id)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class InboxConsumer:
    """Moves messages from the consumer's queue into its inbox table."""

    def __init__(self, engine, inbox: sa.Table, broker_url: str, queue_name: str, *,
                 visibility_timeout: float = 30.0, prefetch: int = 100, batch_size: int = 50, batch_wait: float = 0.002,
                 on_stored: Callable[[], None] | None = None):
        self.engine, self.inbox, self.broker_url, self.queue_name = engine, inbox, broker_url, queue_name
        self.visibility_timeout, self.prefetch, self.on_stored = visibility_timeout, prefetch, on_stored
        self.batch_size, self.batch_wait = batch_size, batch_wait
        self._buffer: list = []
        self.system = "rabbitmq" if broker.is_rabbitmq(broker_url) else "kombu-sqlalchemy"

    def _row(self, headers: dict, body: bytes, message_id: str | None) -> dict:
        """The inbox row of one delivered message (a malformed one is stored dead, for operators)."""
        headers = {k: _text(v) for k, v in (headers or {}).items()}
        attributes = ce_attributes(headers)
        now = utcnow()
        event_id = attributes.get("id") or message_id or "sha256:" + hashlib.sha256(body).hexdigest()[:56]
        row = {"consumer": self.queue_name, "event_id": event_id[:64], "type": attributes.get("type", "?")[:80],
               "payload": body.decode("utf-8", errors="replace"), "received_at": now, "attempts": 0,
               "next_attempt_at": now}
        parent = extract_context(headers)
        producer = trace.get_current_span(parent).get_span_context()
        with tracer("hub.messaging").start_as_current_span(
            f"receive {self.queue_name}", context=parent, kind=SpanKind.CONSUMER,
            links=[Link(producer)] if producer.is_valid else None,
            attributes={"messaging.system": self.system, "messaging.operation.type": "receive",
                        "messaging.destination.name": self.queue_name,
                        "messaging.rabbitmq.destination.routing_key": row["type"],
                        "messaging.message.id": row["event_id"]},
        ):
            try:
                parse_event(headers, body)
            except EnvelopeError as exc:
                # Not a hub event: keep it, dead, for operators to inspect; never block the queue.
                log.error("malformed message dead-lettered", extra={"event_id": row["event_id"], "queue": self.queue_name})
                row.update(dead_at=now, last_error=f"malformed: {exc}"[:2000])
            row["headers"] = {**{k: v for k, v in headers.items() if k.startswith(("cloudEvents", "cloudevents"))},
                              **inject_headers()}
        return row

    def store_many(self, messages: list[tuple[dict, bytes, str | None]]) -> int:
        """Store delivered messages in one transaction; returns how many were new to the inbox."""
        rows = [self._row(*message) for message in messages]
        inserted = 0
        with self.engine.begin() as connection:
            for row in rows:
                result = connection.execute(_insert_ignoring_duplicates(self.inbox, connection.dialect.name, row))
                inserted += result.first() is not None
            notify(connection, inbox_channel(self.queue_name))
        if self.on_stored:
            self.on_stored()
        return inserted

    def store(self, headers: dict, body: bytes, message_id: str | None) -> bool:
        """Store one delivered message; returns False when it was already in the inbox."""
        return self.store_many([(headers, body, message_id)]) == 1

    def _buffered(self, message) -> None:
        self._buffer.append(message)

    def _flush(self) -> None:
        """Commit the buffered messages to the inbox, *then* ack them: a crash in between redelivers."""
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        self.store_many([(m.headers, m.body if isinstance(m.body, bytes) else m.body.encode(),
                          m.properties.get("message_id")) for m in batch])
        for message in batch:
            message.ack()

    def run(self, stop: threading.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            connection = None
            self._buffer = []
            try:
                connection = broker.connect(self.broker_url, visibility_timeout=self.visibility_timeout)
                queue = topology.queue(self.queue_name, rabbitmq=self.system == "rabbitmq")
                with Consumer(connection, queues=[queue], on_message=self._buffered,
                              prefetch_count=self.prefetch, auto_declare=False):
                    backoff = 0.5
                    while not stop.is_set():
                        # Keep draining while messages arrive back to back (up to a batch), then store
                        # the batch in one transaction: one commit per burst instead of per message.
                        try:
                            connection.drain_events(timeout=self.batch_wait if self._buffer else 1.0)
                            if len(self._buffer) < self.batch_size:
                                continue
                        except TimeoutError:
                            connection.heartbeat_check()
                        self._flush()
            except Exception:
                log.warning("consumer connection failed; reconnecting", exc_info=True,
                            extra={"queue": self.queue_name})
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                if connection is not None:
                    try:
                        connection.release()
                    except Exception:
                        pass


class InboxProcessor:
    """Runs handlers for stored inbox rows, with retries, back-off and a dead state."""

    def __init__(self, sessions, inbox: sa.Table, consumer: str, handlers: dict[str, Handler], *,
                 max_attempts: int = 8, backoff_base: float = 1.0, batch_size: int = 50,
                 clock: Callable = utcnow, poll_interval: float = 0.05, system: str = "rabbitmq"):
        self.sessions, self.inbox, self.consumer, self.handlers = sessions, inbox, consumer, handlers
        self.max_attempts, self.backoff_base, self.batch_size, self.clock = max_attempts, backoff_base, batch_size, clock
        engine = sessions.kw["bind"]
        self._lock_rows = engine.dialect.name == "postgresql"
        self.system = system
        self.wakeup = Wakeup(engine, inbox_channel(consumer), poll_interval)

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(3600.0, self.backoff_base * (2 ** (attempts - 1))))

    def _due_ids(self) -> list[str]:
        c = self.inbox.c
        with self.sessions() as session:
            return list(session.execute(
                sa.select(c.event_id).where(c.consumer == self.consumer, c.processed_at.is_(None),
                                            c.dead_at.is_(None), c.next_attempt_at <= self.clock())
                .order_by(c.next_attempt_at, c.received_at).limit(self.batch_size)).scalars())

    def _claim(self, session, event_ids: list[str]):
        c = self.inbox.c
        query = (sa.select(self.inbox).where(c.consumer == self.consumer, c.event_id.in_(event_ids),
                                             c.processed_at.is_(None), c.dead_at.is_(None))
                 .order_by(c.next_attempt_at, c.received_at))
        if self._lock_rows:
            query = query.with_for_update(skip_locked=True)
        return session.execute(query).all()

    def _handle(self, session, row) -> None:
        event = parse_event(row.headers, row.payload)
        with tracer("hub.messaging").start_as_current_span(
            f"process {topology.EXCHANGE_NAME}:{event.type}", context=extract_context(row.headers),
            kind=SpanKind.CONSUMER,
            attributes={"messaging.system": self.system, "messaging.operation.type": "process",
                        "messaging.destination.name": self.consumer,
                        "messaging.rabbitmq.destination.routing_key": event.type,
                        "messaging.message.id": event.id},
        ):
            handler = self.handlers.get(event.type)
            if handler is not None:
                handler(session, event)

    def _mark_processed(self, session, event_ids: list[str]) -> None:
        c = self.inbox.c
        session.execute(self.inbox.update().where(c.consumer == self.consumer, c.event_id.in_(event_ids))
                        .values(processed_at=self.clock(), last_error=None))

    def process_batch(self, event_ids: list[str]) -> None:
        """Handle rows in one transaction, marked processed by one UPDATE: one commit per batch.

        A failing handler rolls the batch back; its failure is recorded in a transaction of its own
        and the batch runs again without it, so only that event is held back and each handler still
        runs once per attempt. (Failures are rare; a savepoint around every event would cost two
        round trips each.) A failure of the database itself falls back to one event per transaction.
        """
        pending = list(event_ids)
        while pending:
            failed: tuple[str, Exception] | None = None
            try:
                with unit_of_work(self.sessions) as session:
                    rows = self._claim(session, pending)
                    for row in rows:
                        try:
                            self._handle(session, row)
                        except Exception as exc:
                            failed = (row.event_id, exc)
                            raise
                    if rows:
                        self._mark_processed(session, [row.event_id for row in rows])
                return
            except Exception:
                if failed is None:
                    log.warning("inbox batch failed; handling its events one by one", exc_info=True,
                                extra={"queue": self.consumer})
                    for event_id in pending:
                        self.process_one(event_id)
                    return
                event_id, exc = failed
                log.warning("handler failed", exc_info=(type(exc), exc, exc.__traceback__),
                            extra={"event_id": event_id, "queue": self.consumer})
                with unit_of_work(self.sessions) as session:
                    self._record_failure(session, event_id, exc)
                pending = [other for other in pending if other != event_id]

    def process_one(self, event_id: str) -> bool:
        """Handle one row in its own transaction; returns True when it was handled (now or already)."""
        try:
            with unit_of_work(self.sessions) as session:
                rows = self._claim(session, [event_id])
                for row in rows:
                    self._handle(session, row)
                if rows:
                    self._mark_processed(session, [event_id])
            return True
        except Exception as exc:
            log.warning("handler failed", exc_info=True, extra={"event_id": event_id, "queue": self.consumer})
            with unit_of_work(self.sessions) as session:
                self._record_failure(session, event_id, exc)
            return False

    def _record_failure(self, session, event_id: str, exc: Exception) -> None:
        c = self.inbox.c
        where = sa.and_(c.consumer == self.consumer, c.event_id == event_id)
        attempts = session.execute(sa.select(c.attempts).where(where)).scalar_one() + 1
        now = self.clock()
        values = {"attempts": attempts, "last_error": f"{type(exc).__name__}: {exc}"[:2000],
                  "next_attempt_at": now + self.backoff(attempts)}
        if attempts >= self.max_attempts:
            values["dead_at"] = now
            log.error("event dead-lettered after %d attempts", attempts,
                      extra={"event_id": event_id, "queue": self.consumer})
        session.execute(self.inbox.update().where(where).values(**values))

    def process_due(self) -> int:
        ids = self._due_ids()
        if ids:
            self.process_batch(ids)
        return len(ids)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                handled = self.process_due()
            except Exception:
                log.warning("inbox pass failed; will retry", exc_info=True)
                stop.wait(1.0)
                continue
            if handled < self.batch_size:
                self.wakeup.wait()
        self.wakeup.close()


# -- operators' dead letters -----------------------------------------------------------------

def dead_letters(session, inbox: sa.Table, consumer: str | None = None, limit: int = 100) -> list[dict]:
    c = inbox.c
    query = sa.select(c.consumer, c.event_id, c.type, c.attempts, c.last_error, c.dead_at, c.received_at).where(
        c.dead_at.is_not(None)).order_by(c.dead_at.desc()).limit(limit)
    if consumer:
        query = query.where(c.consumer == consumer)
    return [dict(row._mapping) for row in session.execute(query)]


def replay_dead(session, inbox: sa.Table, consumer: str, event_id: str) -> bool:
    """Give a dead event a fresh set of attempts; returns False if no such dead event."""
    c = inbox.c
    result = session.execute(inbox.update().where(c.consumer == consumer, c.event_id == event_id,
                                                  c.dead_at.is_not(None), c.processed_at.is_(None))
                             .values(dead_at=None, attempts=0, next_attempt_at=utcnow(), last_error=None))
    notify(session, inbox_channel(consumer))
    return result.rowcount == 1


def discard_dead(session, inbox: sa.Table, consumer: str, event_id: str) -> bool:
    """Close a dead event without running it (kept, marked processed, for the record)."""
    c = inbox.c
    result = session.execute(inbox.update().where(c.consumer == consumer, c.event_id == event_id,
                                                  c.dead_at.is_not(None), c.processed_at.is_(None))
                             .values(processed_at=utcnow(), last_error=c.last_error + " [discarded]"))
    return result.rowcount == 1
