"""Alembic, run programmatically: each service migrates its own database from its own folder."""
from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config

from shared.db import create_database_if_missing, make_engine


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    create_database_if_missing(database_url)
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


def run_env(target_metadata) -> None:
    """The body of every service's `migrations/env.py` (online mode only)."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=target_metadata,
                              render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
    finally:
        engine.dispose()
