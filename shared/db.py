"""Database engines and units of work, the same code on SQLite (embedded) and PostgreSQL (real)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


def utcnow() -> datetime:
    """Timezone-aware UTC now; everything is stored in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(sa.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def is_postgres(engine_or_url) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "postgresql"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with the pragmas/pool settings each backend needs for several processes at once."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; emit it ourselves so that a
        # read-then-write transaction takes the write lock up front instead of failing later.
        @sa.event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin_immediate(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return sa.create_engine(url, **kwargs)


def create_database_if_missing(url: str) -> None:
    """Create a PostgreSQL database named in `url` if it does not exist (no-op on SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            ).scalar()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    finally:
        admin.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextlib.contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception."""
    session = sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def keep_newest(session: Session, model, key, sequence: int, **values):
    """A read model's row for one aggregate, changed only by a snapshot newer than the one it holds:
    events arrive late and twice, and an aggregate's `sequence` orders them. Creates the row on the
    first snapshot. Returns the row when `values` were applied, None for a stale or repeated one."""
    row = session.get(model, key)
    if row is not None and row.sequence >= sequence:
        return None
    if row is None:
        key_name = sa.inspect(model).primary_key[0].key
        row = model(**{key_name: key})
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.sequence = sequence
    return row


def dialect_insert(session: Session, model):
    """The INSERT construct of the session's database (SQLite or PostgreSQL): both have
    `on_conflict_do_nothing` / `on_conflict_do_update`, which the generic one lacks."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(model)


def insert_new(session: Session, model, rows: list[dict], conflict_columns: list[str]) -> int:
    """Insert `rows`, skipping those that clash on `conflict_columns` (a redelivered event, a second
    click); returns how many were new."""
    if not rows:
        return 0
    # Counted from RETURNING, not `rowcount`: for a multi-row insert psycopg's rowcount is -1
    # (unknown), which once made a redelivered event look new on PostgreSQL.
    key = list(sa.inspect(model).primary_key)
    inserted = session.execute(dialect_insert(session, model).values(rows)
                               .on_conflict_do_nothing(index_elements=conflict_columns).returning(*key)).all()
    return len(inserted)
