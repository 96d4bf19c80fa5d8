"""Waking a loop right after a commit: PostgreSQL LISTEN/NOTIFY across processes, a short poll on SQLite."""
from __future__ import annotations

import logging
import threading

import sqlalchemy as sa
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)


def notify(connection_or_session, channel: str) -> None:
    """Inside the writer's transaction: on PostgreSQL the NOTIFY is delivered at commit."""
    bind = connection_or_session.get_bind() if hasattr(connection_or_session, "get_bind") else connection_or_session
    if bind.dialect.name == "postgresql":
        connection_or_session.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": channel})


class Wakeup:
    """`wait()` returns when poked in-process, notified by PostgreSQL, or after `poll_interval`."""

    def __init__(self, engine: Engine, channel: str, poll_interval: float = 0.1, listen_timeout: float = 1.0):
        self.channel, self.poll_interval, self.listen_timeout = channel, poll_interval, listen_timeout
        self._poked = threading.Event()
        self._pg_conn = None
        self._url = engine.url if engine.dialect.name == "postgresql" else None

    def poke(self) -> None:
        self._poked.set()

    def _listen(self):
        import psycopg

        url = self._url.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = psycopg.connect(url, autocommit=True)
        conn.execute(f'LISTEN "{self.channel}"')
        return conn

    def wait(self, timeout: float | None = None) -> None:
        if timeout is None:
            timeout = self.poll_interval if self._url is None else self.listen_timeout
        if self._poked.is_set():
            self._poked.clear()
            return
        if self._url is None:
            self._poked.wait(timeout)
            self._poked.clear()
            return
        try:
            if self._pg_conn is None:
                self._pg_conn = self._listen()
            for _ in self._pg_conn.notifies(timeout=timeout, stop_after=1):
                break
        except Exception:  # the database restarting: fall back to polling until it is back
            log.warning("LISTEN connection lost; polling", exc_info=True)
            self.close()
            self._poked.wait(timeout)
        self._poked.clear()

    def close(self) -> None:
        if self._pg_conn is not None:
            try:
                self._pg_conn.close()
            except Exception:
                pass
            self._pg_conn = None
