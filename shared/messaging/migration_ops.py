"""Alembic operations for the outbox and inbox tables that every service's database holds.

Each service's first migration calls `create_outbox_and_inbox(op)`. These functions describe the
tables as of that first revision and must not change: a later change to `tables.py` gets a new
function here (and a new revision in each service) so old migrations keep meaning what they meant.
"""
from __future__ import annotations

import sqlalchemy as sa

from shared.db import UTCDateTime

_INBOX_DUE = sa.text("processed_at IS NULL AND dead_at IS NULL")
_OUTBOX_PENDING = sa.text("published_at IS NULL")


def create_outbox_and_inbox(op) -> None:
    op.create_table(
        "outbox",
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
                  nullable=False, comment="insertion order, so events leave in the order they were made"),
        sa.Column("id", sa.String(length=36), nullable=False, comment="event id = AMQP message_id"),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=True),
        sa.Column("time", UTCDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("trace_headers", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("id"),
    )
    op.create_index("ix_outbox_pending", "outbox", ["position"], unique=False,
                    sqlite_where=_OUTBOX_PENDING, postgresql_where=_OUTBOX_PENDING)
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("dead_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_index("ix_inbox_due", "inbox", ["consumer", "next_attempt_at"], unique=False,
                    sqlite_where=_INBOX_DUE, postgresql_where=_INBOX_DUE)


def drop_outbox_and_inbox(op) -> None:
    op.drop_index("ix_inbox_due", table_name="inbox")
    op.drop_table("inbox")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
