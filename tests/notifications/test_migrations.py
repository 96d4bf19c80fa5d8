"""The Alembic migration creates exactly what models.py describes, on SQLite and on PostgreSQL."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.db import make_engine

from notifications.bootstrap import build_runtime
from notifications.models import Base
from notifications.settings import NotificationsSettings


def differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_migration_matches_models_on_sqlite(tmp_path):
    runtime = build_runtime(NotificationsSettings(var_dir=tmp_path))
    runtime.migrate()
    runtime.migrate()  # idempotent
    assert differences(runtime.settings.database_url) == []
    runtime.engine.dispose()


@pytest.mark.realservers
def test_migration_matches_models_on_postgresql(tmp_path, fresh_postgres_db):
    url = fresh_postgres_db("notifications").replace("postgresql://", "postgresql+psycopg://", 1)
    runtime = build_runtime(NotificationsSettings(var_dir=tmp_path, database_url=url))
    runtime.migrate()
    assert differences(url) == []
    runtime.engine.dispose()
