"""The outbox and inbox tables, added to each service's own metadata (each service has its own database)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from shared.db import UTCDateTime


@dataclass(frozen=True)
class MessagingTables:
    outbox: sa.Table
    inbox: sa.Table


def define_messaging_tables(metadata: sa.MetaData) -> MessagingTables:
    outbox = sa.Table(
        "outbox", metadata,
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True, comment="insertion order, so events leave in the order they were made"),
        sa.Column("id", sa.String(36), nullable=False, unique=True, comment="event id = AMQP message_id"),
        sa.Column("type", sa.String(80), nullable=False),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("subject", sa.String(80)),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("trace_headers", sa.JSON(), nullable=False, default=dict),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime()),
        sa.Column("attempts", sa.Integer(), nullable=False, default=0),
        sa.Column("next_attempt_at", UTCDateTime()),
        sa.Column("last_error", sa.Text()),
        sa.Index("ix_outbox_pending", "position", sqlite_where=sa.text("published_at IS NULL"),
                 postgresql_where=sa.text("published_at IS NULL")),
    )
    inbox = sa.Table(
        "inbox", metadata,
        sa.Column("consumer", sa.String(80), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(80), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False, default=dict),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("processed_at", UTCDateTime()),
        sa.Column("attempts", sa.Integer(), nullable=False, default=0),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("dead_at", UTCDateTime()),
        sa.Index("ix_inbox_due", "consumer", "next_attempt_at",
                 sqlite_where=sa.text("processed_at IS NULL AND dead_at IS NULL"),
                 postgresql_where=sa.text("processed_at IS NULL AND dead_at IS NULL")),
    )
    return MessagingTables(outbox=outbox, inbox=inbox)
