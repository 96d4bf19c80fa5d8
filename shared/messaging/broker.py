"""Broker connections for both run modes.

Real mode: RabbitMQ over py-amqp with publisher confirms. Embedded mode: kombu's SQLAlchemy
transport on a SQLite file, extended with a visibility timeout. The stock transport hides a
message when it is fetched and keeps the unacked copy only in memory, so a consumer killed between
fetch and ack would lose it; here an ack deletes the row, and a row hidden for longer than the
visibility timeout is made visible again (as SQS does). Redeliveries are absorbed by the inbox.
"""
from __future__ import annotations

import datetime
import threading
import time

import sqlalchemy as sa
from kombu import Connection
from kombu.transport import sqlalchemy as kombu_sqla
from kombu.utils.json import loads
from kombu.utils.encoding import bytes_to_str
from queue import Empty

from shared.messaging import topology

_OWN_OPTIONS = ("visibility_timeout", "polling_interval")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class VisibilityTimeoutChannel(kombu_sqla.Channel):
    _tags_lock = threading.Lock()

    def __init__(self, connection, **kwargs):
        super().__init__(connection, **kwargs)
        self._row_of_tag: dict[str, int] = {}
        self.visibility_timeout = float(connection.client.transport_options.get("visibility_timeout", 30.0))
        self._restored_at: dict[int, float] = {}

    def _engine_from_config(self):
        options = self.connection.client.transport_options
        saved = {key: options.pop(key) for key in _OWN_OPTIONS if key in options}
        try:
            options.setdefault("connect_args", {"timeout": 30})
            engine = super()._engine_from_config()
        finally:
            options.update(saved)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine

    def _restore_expired(self, queue_id: int) -> None:
        # A hidden row can only expire a visibility timeout after its fetch: look a few times per
        # timeout, not on every fetch.
        now = time.monotonic()
        if now - self._restored_at.get(queue_id, 0.0) < self.visibility_timeout / 4:
            return
        self._restored_at[queue_id] = now
        # kombu stamps `timestamp` (local time) when it hides a row, so it is the fetch time.
        cutoff = datetime.datetime.now() - datetime.timedelta(seconds=self.visibility_timeout)
        message = self.message_cls
        self.session.query(message).filter(message.queue_id == queue_id, message.visible == False,  # noqa: E712
                                           message.sent_at < cutoff).update(
            {message.visible: True}, synchronize_session=False)

    def _get(self, queue):
        obj = self._get_or_create(queue)
        if self.session.bind.name == "sqlite":
            self.session.execute(sa.text("BEGIN IMMEDIATE TRANSACTION"))
        try:
            self._restore_expired(obj.id)
            msg = (self.session.query(self.message_cls)
                   .filter(self.message_cls.queue_id == obj.id)
                   .filter(self.message_cls.visible != False)  # noqa: E712
                   .order_by(self.message_cls.id).limit(1).with_for_update(skip_locked=True).first())
            if msg is None:
                raise Empty()
            msg.visible = False
            payload = loads(bytes_to_str(msg.payload))
            with self._tags_lock:
                self._row_of_tag[payload["properties"]["delivery_tag"]] = msg.id
            return payload
        finally:
            self.session.commit()

    def _settle(self, delivery_tag, *, requeue: bool) -> None:
        with self._tags_lock:
            row_id = self._row_of_tag.pop(delivery_tag, None)
        if row_id is None:
            return
        rows = self.session.query(self.message_cls).filter(self.message_cls.id == row_id)
        if requeue:
            rows.update({self.message_cls.visible: True}, synchronize_session=False)
        else:
            rows.delete(synchronize_session=False)
        self.session.commit()

    def basic_ack(self, delivery_tag, multiple=False):
        super().basic_ack(delivery_tag, multiple=multiple)
        self._settle(delivery_tag, requeue=False)

    def basic_reject(self, delivery_tag, requeue=False):
        super().basic_reject(delivery_tag, requeue=requeue)
        self._settle(delivery_tag, requeue=requeue)

    def _restore(self, message):
        # kombu would re-put unacked messages as new rows on close or requeue; the fetched row
        # itself is made visible again instead (by `_settle` or the visibility timeout), so a
        # message is never both restored and re-shown.
        return None


class VisibilityTimeoutTransport(kombu_sqla.Transport):
    Channel = VisibilityTimeoutChannel


def is_rabbitmq(url: str) -> bool:
    return url.startswith(("amqp://", "amqps://", "pyamqp://"))


def connect(url: str, *, visibility_timeout: float = 30.0, polling_interval: float = 0.05,
            heartbeat: int = 30, declare: bool = True) -> Connection:
    """A connected broker connection with the hub's topology declared on it."""
    if url.startswith("sqla+"):
        connection = Connection(url[len("sqla+"):], transport=VisibilityTimeoutTransport,
                                transport_options={"visibility_timeout": visibility_timeout,
                                                   "polling_interval": polling_interval})
    elif is_rabbitmq(url):
        connection = Connection(url, heartbeat=heartbeat, connect_timeout=5,
                                transport_options={"confirm_publish": True})
    else:
        raise ValueError("BROKER_URL must be amqp://... (RabbitMQ) or sqla+sqlite:///... (embedded)")
    connection.ensure_connection(max_retries=1)
    if declare:
        with connection.channel() as channel:
            topology.declare(channel, rabbitmq=is_rabbitmq(url))
    return connection


def check(url: str) -> None:
    """Raise if the broker does not answer (for /readyz)."""
    connection = connect(url, declare=False)
    try:
        connection.channel().close()
    finally:
        connection.release()
