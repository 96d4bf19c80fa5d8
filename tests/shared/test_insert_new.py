"""`shared.db.insert_new`: how many rows were new, on either database (a redelivered event is not new)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import insert_new, session_factory, unit_of_work


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(20))
    event: Mapped[str] = mapped_column(sa.String(20))
    __table_args__ = (sa.UniqueConstraint("owner", "event"),)


def _count_new_rows(engine) -> None:
    Base.metadata.create_all(engine)
    sessions = session_factory(engine)
    first = [{"id": 1, "owner": "a", "event": "e1"}, {"id": 2, "owner": "b", "event": "e1"}]
    with unit_of_work(sessions) as session:
        assert insert_new(session, Row, first, ["owner", "event"]) == 2
    again = [{"id": 3, "owner": "a", "event": "e1"}, {"id": 4, "owner": "b", "event": "e1"}]
    with unit_of_work(sessions) as session:
        assert insert_new(session, Row, again, ["owner", "event"]) == 0  # both clash: nothing new
        assert insert_new(session, Row, [{"id": 5, "owner": "a", "event": "e1"}], ["owner", "event"]) == 0
        assert insert_new(session, Row, again[:1] + [{"id": 6, "owner": "c", "event": "e1"}], ["owner", "event"]) == 1
        assert insert_new(session, Row, [], ["owner", "event"]) == 0
    with sessions() as session:
        assert sorted(session.execute(sa.select(Row.id)).scalars()) == [1, 2, 6]


def test_counts_only_new_rows_on_sqlite(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'rows.sqlite'}")
    _count_new_rows(engine)
    engine.dispose()


def test_counts_only_new_rows_on_postgresql(fresh_postgres_db):
    engine = sa.create_engine(fresh_postgres_db("insert_new"))
    _count_new_rows(engine)
    engine.dispose()
