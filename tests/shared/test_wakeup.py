"""The wake-up that lets loops sleep when idle and start at once when there is work."""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from shared.messaging.wakeup import Wakeup, notify


@pytest.fixture
def pg_engine(fresh_postgres_db):
    engine = sa.create_engine(fresh_postgres_db("wakeup"))
    yield engine
    engine.dispose()


def _timed_wait(wakeup: Wakeup, timeout: float, during=None) -> float:
    """Seconds a `wait(timeout)` took while `during` ran in another thread just after it began."""
    if during is not None:
        threading.Timer(0.05, during).start()
    started = time.monotonic()
    wakeup.wait(timeout=timeout)
    return time.monotonic() - started


def test_a_poke_ends_a_postgresql_wait_at_once(pg_engine):
    # Before the fix, a poke (e.g. a finished webhook attempt freeing a slot) was seen only when the
    # LISTEN wait timed out, which capped one endpoint's deliveries at (slots) per second.
    wakeup = Wakeup(pg_engine, "t_wakeup_poke")
    wakeup.wait(timeout=0.01)  # opens the LISTEN connection
    try:
        assert _timed_wait(wakeup, 10.0, during=wakeup.poke) < 5.0
    finally:
        wakeup.close()


def test_a_notify_from_another_connection_ends_the_wait(pg_engine):
    wakeup = Wakeup(pg_engine, "t_wakeup_notify")
    wakeup.wait(timeout=0.01)

    def commit_with_notify():
        with pg_engine.begin() as connection:
            notify(connection, "t_wakeup_notify")

    try:
        assert _timed_wait(wakeup, 10.0, during=commit_with_notify) < 5.0
        # Every notification was taken: the next wait is not ended by a stale one.
        assert _timed_wait(wakeup, 0.3) >= 0.25
    finally:
        wakeup.close()


def test_a_poke_before_the_wait_is_not_lost(pg_engine):
    wakeup = Wakeup(pg_engine, "t_wakeup_early")
    try:
        wakeup.poke()
        assert _timed_wait(wakeup, 10.0) < 5.0
        assert _timed_wait(wakeup, 0.3) >= 0.25  # and it is consumed once
    finally:
        wakeup.close()


def test_on_sqlite_a_poke_ends_the_wait(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    wakeup = Wakeup(engine, "t_wakeup_sqlite")
    assert _timed_wait(wakeup, 10.0, during=wakeup.poke) < 5.0


def test_a_transaction_notifies_each_channel_once(pg_engine):
    # A batch of inbox events that each queue a delivery must not cost a round trip per event.
    from shared.db import session_factory, unit_of_work

    sent = []
    sa.event.listen(pg_engine, "before_cursor_execute",
                    lambda conn, cursor, statement, params, context, many:
                    sent.append(params["channel"]) if "pg_notify" in statement else None)
    sessions = session_factory(pg_engine)
    with unit_of_work(sessions) as session:
        for _ in range(3):
            notify(session, "t_once_a")
        notify(session, "t_once_b")
    assert sent == ["t_once_a", "t_once_b"]
    with unit_of_work(sessions) as session:  # a new transaction notifies again
        notify(session, "t_once_a")
    assert sent == ["t_once_a", "t_once_b", "t_once_a"]
