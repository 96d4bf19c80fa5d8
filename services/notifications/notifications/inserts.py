"""Inserting rows that may exist already (a redelivered event, a second click): the same statement on
SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(session, model):
    """The INSERT construct of the session's database, which has `on_conflict_do_nothing`."""
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(model)


def insert_new(session, model, rows: list[dict], conflict_columns: list[str]) -> int:
    """Insert `rows`, skipping those that clash on `conflict_columns`; returns how many were new."""
    if not rows:
        return 0
    return session.execute(dialect_insert(session, model).values(rows)
                           .on_conflict_do_nothing(index_elements=conflict_columns)).rowcount
