"""Consent withdrawal, reminders, retention, key rotation, statistics facts, capacity read model.

New referral columns are nullable (SQLite cannot add a NOT NULL column without rebuilding the
table, which its foreign keys forbid); the code always writes them. Existing rows are backfilled
from their history: the coded reason of the current status, the answer time, the month sent, the
closing time (the last update) and, for referrals still waiting, the reminder (2 days before).

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

from shared.db import UTCDateTime

from referrals.domain.deadlines import reminder_for
from referrals.domain.statistics import month_of

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

CLOSED = ("declined", "completed", "withdrawn", "expired")
WAITING = ("sent", "received")
COLUMNS = [
    sa.Column('consent_withdrawn_by', sa.String(length=200), nullable=True),
    sa.Column('consent_withdrawn_by_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('index_key_id', sa.String(length=40), nullable=True),
    sa.Column('remind_at', UTCDateTime(), nullable=True),
    sa.Column('reminded_at', UTCDateTime(), nullable=True),
    sa.Column('receiver_notified_at', UTCDateTime(), nullable=True),
    sa.Column('status_code', sa.String(length=40), nullable=True),
    sa.Column('sent_month', sa.String(length=7), nullable=True),
    sa.Column('answer_seconds', sa.Integer(), nullable=True),
    sa.Column('closed_at', UTCDateTime(), nullable=True),
    sa.Column('client_data_purged_at', UTCDateTime(), nullable=True),
]
INDEXES = {
    'ix_referrals_reminder': ['status', 'remind_at'],
    'ix_referrals_retention': ['client_data_purged_at', 'closed_at'],
    'ix_referrals_sent_by': ['from_organisation_id', 'created_at'],
    'ix_referrals_sent_to': ['to_organisation_id', 'created_at'],
    'ix_referrals_created': ['created_at'],
}


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column('referrals', column)
    for name, columns in INDEXES.items():
        op.create_index(name, 'referrals', columns, unique=False)
    op.create_table('organisation_capacity',
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('capacity_by_need', sa.JSON(), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('organisation_id')
    )
    _backfill(op.get_bind())


def _backfill(connection) -> None:
    referrals = sa.table('referrals', sa.column('id', sa.Uuid()), sa.column('status', sa.String()),
                         sa.column('created_at', UTCDateTime()), sa.column('updated_at', UTCDateTime()),
                         sa.column('deadline_at', UTCDateTime()), *[sa.column(c.name, c.type) for c in COLUMNS])
    history = sa.table('referral_history', sa.column('referral_id', sa.Uuid()), sa.column('version', sa.Integer()),
                       sa.column('at', UTCDateTime()), sa.column('to_status', sa.String()),
                       sa.column('code', sa.String()))
    rows = connection.execute(sa.select(referrals.c.id, referrals.c.status, referrals.c.created_at,
                                        referrals.c.updated_at, referrals.c.deadline_at)).all()
    for row in rows:
        changes = connection.execute(sa.select(history.c.at, history.c.to_status, history.c.code)
                                     .where(history.c.referral_id == row.id, history.c.to_status.is_not(None))
                                     .order_by(history.c.version)).all()
        answered = next((c.at for c in changes if c.to_status in ("accepted", "declined")), None)
        current = [c for c in changes if c.to_status == row.status]
        connection.execute(referrals.update().where(referrals.c.id == row.id).values(
            sent_month=month_of(row.created_at),
            status_code=current[-1].code if current else None,
            answer_seconds=int((answered - row.created_at).total_seconds()) if answered else None,
            closed_at=row.updated_at if row.status in CLOSED else None,
            remind_at=reminder_for(row.created_at, row.deadline_at, 2) if row.status in WAITING else None,
        ))


def downgrade() -> None:
    op.drop_table('organisation_capacity')
    for name in INDEXES:
        op.drop_index(name, table_name='referrals')
    for column in COLUMNS:
        op.drop_column('referrals', column.name)  # SQLite >= 3.35 drops columns in place
