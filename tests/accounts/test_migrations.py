"""The Alembic migration creates exactly the tables of models.py (SQLite, and PostgreSQL in CI)."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from accounts.models import Base
from accounts.runtime import build_runtime
from accounts.settings import AccountsSettings


def differences(runtime) -> list:
    with runtime.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_migration_matches_models_on_sqlite(migrated_runtime):
    assert differences(migrated_runtime) == []


@pytest.mark.realservers
def test_migration_matches_models_on_postgres(fresh_postgres_db, tmp_path):
    runtime = build_runtime(AccountsSettings(var_dir=tmp_path, database_url=fresh_postgres_db("accounts")))
    try:
        runtime.migrate()
        assert differences(runtime) == []
    finally:
        runtime.engine.dispose()
