"""Waking a loop right after a commit: PostgreSQL LISTEN/NOTIFY across processes, a poke within one.

A wait ends at whichever comes first: a NOTIFY on the channel (another process committed), a poke
from this process (a finished delivery, a stored inbox batch), or the timeout (the safety net: a
missed wake-up only delays work, never loses it). On PostgreSQL the wait selects on both the LISTEN
connection's socket and a self-pipe that `poke` writes to, so a poke is seen at once and not only
when the LISTEN wait times out; on SQLite it is a threading.Event with a short poll.
"""
from __future__ import annotations

import logging
import os
import select
import threading
import time
import weakref

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_NOTIFIED = "hub.notified_channels"


def notify(connection_or_session, channel: str) -> None:
    """Inside the writer's transaction: on PostgreSQL the NOTIFY is delivered at commit.

    Once per channel and session transaction: an inbox batch of fifty events that each queue a
    delivery wakes the dispatcher once, not fifty times (one round trip each)."""
    bind = connection_or_session.get_bind() if hasattr(connection_or_session, "get_bind") else connection_or_session
    if bind.dialect.name != "postgresql":
        return
    if isinstance(connection_or_session, Session):
        connection_or_session.connection()  # begins the transaction (if not yet) so it has an identity
        transaction = connection_or_session.get_transaction()
        notified = connection_or_session.info.get(_NOTIFIED)
        if notified is None or notified[0] is not transaction:
            notified = connection_or_session.info[_NOTIFIED] = (transaction, set())
        if channel in notified[1]:
            return
        notified[1].add(channel)
    connection_or_session.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": channel})


class Wakeup:
    """`wait()` returns when poked in-process, notified by PostgreSQL, or after its timeout."""

    def __init__(self, engine: Engine, channel: str, poll_interval: float = 0.1, listen_timeout: float = 1.0):
        self.channel, self.poll_interval, self.listen_timeout = channel, poll_interval, listen_timeout
        self._poked = threading.Event()
        self._pg_conn = None
        self._url = engine.url if engine.dialect.name == "postgresql" else None
        self._pipe: tuple[int, int] | None = None
        if self._url is not None:
            self._pipe = os.pipe()
            for end in self._pipe:
                os.set_blocking(end, False)
            weakref.finalize(self, _close_fds, self._pipe)

    def poke(self) -> None:
        self._poked.set()
        if self._pipe is not None:
            try:
                os.write(self._pipe[1], b"\0")
            except (BlockingIOError, OSError):  # full (a wake-up is pending anyway) or closed
                pass

    def _listen(self):
        import psycopg

        url = self._url.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = psycopg.connect(url, autocommit=True)
        conn.execute(f'LISTEN "{self.channel}"')
        return conn

    def _drain_pipe(self) -> None:
        try:
            while os.read(self._pipe[0], 512):
                pass
        except (BlockingIOError, OSError):
            pass

    def wait(self, timeout: float | None = None) -> None:
        if timeout is None:
            timeout = self.poll_interval if self._url is None else self.listen_timeout
        if self._poked.is_set():
            self._poked.clear()
            if self._pipe is not None:
                self._drain_pipe()
            return
        if self._url is None:
            self._poked.wait(timeout)
            self._poked.clear()
            return
        deadline = time.monotonic() + timeout
        try:
            if self._pg_conn is None:
                self._pg_conn = self._listen()
            socket_fd = self._pg_conn.fileno()
            ready, _, _ = select.select([socket_fd, self._pipe[0]], [], [], max(0.0, deadline - time.monotonic()))
            if socket_fd in ready:
                # Take every notification that has arrived, so none is left buffered unseen.
                for _ in self._pg_conn.notifies(timeout=0, stop_after=None):
                    pass
        except Exception:  # the database restarting: fall back to polling until it is back
            log.warning("LISTEN connection lost; polling", exc_info=True)
            self.close()
            self._poked.wait(max(0.0, deadline - time.monotonic()))
        self._drain_pipe()
        self._poked.clear()

    def close(self) -> None:
        """Close the LISTEN connection (a later wait opens a new one); the pipe lives as long as self."""
        if self._pg_conn is not None:
            try:
                self._pg_conn.close()
            except Exception:
                pass
            self._pg_conn = None


def _close_fds(fds: tuple[int, ...]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
