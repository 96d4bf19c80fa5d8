"""People's `version`, the sequence of their `person.*` events; existing people are announced.

Existing rows start at version 1, and each gets a `person.registered` (sequence 1) in the outbox in
the same transaction: people created before the events existed would otherwise stay unknown to
referrals and notifications until their next change.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

from shared.contracts.envelope import Event
from shared.contracts.events import PersonRegistered
from shared.db import UTCDateTime
from shared.messaging.outbox import add_event

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PEOPLE = sa.table("people", sa.column("id", sa.Uuid()), sa.column("organisation_id", sa.Uuid()),
                  sa.column("role", sa.String()), sa.column("active", sa.Boolean()),
                  sa.column("created_at", UTCDateTime()))
OUTBOX = sa.table("outbox", *(sa.column(name) for name in ("id", "type", "source", "subject", "payload",
                                                            "attempts")),
                  *(sa.column(name, UTCDateTime()) for name in ("time", "created_at", "next_attempt_at")),
                  sa.column("trace_headers", sa.JSON()))


def upgrade() -> None:
    op.add_column("people", sa.Column("version", sa.Integer(), server_default="1", nullable=False,
                                      comment="the person.* events' per-person sequence"))
    bind = op.get_bind()
    existing = bind.execute(sa.select(PEOPLE).order_by(PEOPLE.c.created_at, PEOPLE.c.id)).all()
    for person in existing:
        data = PersonRegistered(person_id=person.id, organisation_id=person.organisation_id, role=person.role,
                                active=person.active, sequence=1)
        add_event(bind, OUTBOX, Event.of(data, source="/accounts", subject=str(person.id)), "accounts")


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("version")
