"""One bootstrap per service process: settings, database, messaging tables and the standard loops.

A service's `create_app` and `worker` both start from a `ServiceRuntime`, so the web process and
the worker process are wired the same way (cosmicpython's single bootstrap).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared import migrations
from shared.contracts.envelope import Event
from shared.contracts.events import EventData
from shared.db import make_engine, session_factory
from shared.messaging import topology
from shared.messaging.inbox import Handler, InboxConsumer, InboxProcessor
from shared.messaging.outbox import add_event
from shared.messaging.relay import OutboxRelay
from shared.messaging.tables import MessagingTables
from shared.settings import ServiceSettings
from shared.telemetry import instrument_engine
from shared.worker import Loop


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    engine: Engine
    sessions: sessionmaker[Session]
    tables: MessagingTables
    migrations_dir: Path
    extras: dict = field(default_factory=dict)

    @classmethod
    def create(cls, settings: ServiceSettings, tables: MessagingTables, migrations_dir: Path) -> "ServiceRuntime":
        engine = make_engine(settings.database_url)
        instrument_engine(engine)  # database spans in the worker process too, not only the web app's
        return cls(settings, engine, session_factory(engine), tables, migrations_dir)

    @property
    def service(self) -> str:
        return self.settings.service_name

    @property
    def queue_name(self) -> str | None:
        return topology.SERVICE_QUEUE.get(self.service)

    def migrate(self) -> None:
        migrations.upgrade(self.migrations_dir, self.settings.database_url)

    def emit(self, session: Session, data: EventData, subject: str | None = None) -> Event:
        """Stage an event in the caller's transaction (the transactional outbox)."""
        event = Event.of(data, source=f"/{self.service}", subject=subject)
        add_event(session, self.tables.outbox, event, self.service)
        return event

    # -- the standard background loops -------------------------------------------------------
    def relay(self) -> OutboxRelay:
        return OutboxRelay(self.engine, self.tables.outbox, self.settings.broker_url, self.service,
                           confirm_timeout=self.settings.confirm_timeout)

    def processor(self, handlers: dict[str, Handler]) -> InboxProcessor:
        return InboxProcessor(self.sessions, self.tables.inbox, self.queue_name, handlers,
                              max_attempts=self.settings.inbox_max_attempts,
                              backoff_base=self.settings.inbox_backoff_base_seconds,
                              system="kombu-sqlalchemy" if self.settings.embedded_broker else "rabbitmq")

    def consumer(self, on_stored=None) -> InboxConsumer:
        return InboxConsumer(self.engine, self.tables.inbox, self.settings.broker_url, self.queue_name,
                             visibility_timeout=self.settings.broker_visibility_timeout, on_stored=on_stored)

    def standard_loops(self, handlers: dict[str, Handler]) -> dict[str, Loop]:
        """relay, and for a service with a queue: consume (broker -> inbox) and process (inbox -> handlers)."""
        if self.queue_name is None:
            return {"relay": self.relay().run}
        processor = self.processor(handlers)
        return {
            "relay": self.relay().run,
            "consume": self.consumer(on_stored=processor.wakeup.poke).run,
            "process": processor.run,
        }
