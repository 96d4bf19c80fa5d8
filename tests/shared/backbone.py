"""A small producer + consumer wired with the real backbone classes, in either run mode."""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa

from shared.contracts.envelope import Event
from shared.contracts.events import ReferralAccepted, ReferralSent
from shared.db import make_engine, session_factory, unit_of_work, utcnow
from shared.messaging import broker, topology
from shared.messaging.inbox import InboxConsumer, InboxProcessor
from shared.messaging.outbox import add_event
from shared.messaging.relay import OutboxRelay
from shared.messaging.tables import define_messaging_tables

QUEUE = "notifications.events"


def purge_queues(url: str) -> None:
    connection = broker.connect(url)
    try:
        with connection.channel() as channel:
            for name in topology.BINDINGS:
                channel.queue_purge(name)
                if broker.is_rabbitmq(url):
                    channel.queue_purge(f"{name}.dead")
    finally:
        connection.release()


@dataclass
class Backbone:
    database_url: str
    broker_url: str
    metadata: sa.MetaData = field(default_factory=sa.MetaData)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self.tables = define_messaging_tables(self.metadata)
        self.side_effects = sa.Table("side_effects", self.metadata,
                                     sa.Column("event_id", sa.String(64), primary_key=False),
                                     sa.Column("n", sa.Integer, primary_key=True, autoincrement=True))
        self.engine = make_engine(self.database_url)
        self.metadata.create_all(self.engine)
        self.sessions = session_factory(self.engine)
        self.handlers = {"referral.sent": self.record, "referral.accepted": self.record}
        self.threads: list[threading.Thread] = []

    def record(self, session, event: Event) -> None:
        """A side effect in the consumer's database, done in the handler's transaction."""
        session.execute(self.side_effects.insert().values(event_id=event.id))

    def relay(self, broker_url: str | None = None) -> OutboxRelay:
        return OutboxRelay(self.engine, self.tables.outbox, broker_url or self.broker_url, "referrals")

    def processor(self, **kwargs) -> InboxProcessor:
        kwargs.setdefault("backoff_base", 0.01)
        return InboxProcessor(self.sessions, self.tables.inbox, QUEUE, self.handlers, **kwargs)

    def consumer(self, **kwargs) -> InboxConsumer:
        return InboxConsumer(self.engine, self.tables.inbox, self.broker_url, QUEUE, **kwargs)

    def start(self, *loops) -> None:
        for loop in loops:
            thread = threading.Thread(target=loop, args=(self.stop,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)
        self.engine.dispose()

    def emit(self, model=ReferralSent, **data) -> Event:
        payload = dict(referral_id=uuid.uuid4(), from_organisation_id=uuid.uuid4(),
                       to_organisation_id=uuid.uuid4(), status="sent", sequence=1, occurred_at=utcnow())
        payload.update(data)
        event = Event.of(model(**payload), source="/referrals")
        with unit_of_work(self.sessions) as session:
            add_event(session, self.tables.outbox, event, "referrals")
        return event

    def scalar(self, query):
        with self.engine.connect() as connection:
            return connection.execute(query).scalar()

    def effects_of(self, event_id: str) -> int:
        return self.scalar(sa.select(sa.func.count()).select_from(self.side_effects)
                           .where(self.side_effects.c.event_id == event_id))

    def effects_total(self) -> int:
        return self.scalar(sa.select(sa.func.count()).select_from(self.side_effects))

    def pending_outbox(self) -> int:
        outbox = self.tables.outbox
        return self.scalar(sa.select(sa.func.count()).select_from(outbox).where(outbox.c.published_at.is_(None)))

    def inbox_row(self, event_id: str):
        inbox = self.tables.inbox
        with self.engine.connect() as connection:
            return connection.execute(sa.select(inbox).where(inbox.c.event_id == event_id)).first()


__all__ = ["Backbone", "ReferralAccepted", "purge_queues"]
