"""The referrals database: organisations read model, referrals, history, access log,
idempotency keys, revoked clients, outbox and inbox.

Revision ID: 0001
Revises: 
"""
from alembic import op
import sqlalchemy as sa

from shared.db import UTCDateTime
from shared.messaging.migration_ops import create_outbox_and_inbox, drop_outbox_and_inbox


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_and_inbox(op)
    op.create_table('idempotency_keys',
    sa.Column('client', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('client', 'key')
    )
    op.create_table('organisations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('response_deadline_days', sa.Integer(), nullable=True),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('referrals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('from_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('to_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('needs', sa.JSON(), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('deadline_at', UTCDateTime(), nullable=False),
    sa.Column('consent_method', sa.String(length=20), nullable=False),
    sa.Column('consent_given_at', UTCDateTime(), nullable=False),
    sa.Column('consent_expires_at', UTCDateTime(), nullable=True),
    sa.Column('consent_withdrawn_at', UTCDateTime(), nullable=True),
    sa.Column('consent_recorded_by', sa.String(length=200), nullable=False),
    sa.Column('data_key_id', sa.String(length=40), nullable=False),
    sa.Column('data_blob', sa.LargeBinary(), nullable=False),
    sa.Column('client_index', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('received_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_referrals_client', 'referrals', ['client_index', 'to_organisation_id'], unique=False)
    op.create_index('ix_referrals_deadline', 'referrals', ['status', 'deadline_at'], unique=False)
    op.create_index('ix_referrals_incoming', 'referrals', ['to_organisation_id', 'updated_at', 'id'], unique=False)
    op.create_index('ix_referrals_outgoing', 'referrals', ['from_organisation_id', 'updated_at', 'id'], unique=False)
    op.create_table('revoked_clients',
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=True),
    sa.Column('revoked_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('client_id')
    )
    op.create_table('access_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=True),
    sa.Column('endpoint', sa.String(length=120), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_access_log_referral', 'access_log', ['referral_id', 'id'], unique=False)
    op.create_table('referral_history',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False, comment="the referral's version after it"),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=True),
    sa.Column('text_key_id', sa.String(length=40), nullable=True),
    sa.Column('text_blob', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('referral_id', 'version', name='uq_referral_history_version')
    )


def downgrade() -> None:
    op.drop_table('referral_history')
    op.drop_index('ix_access_log_referral', table_name='access_log')
    op.drop_table('access_log')
    op.drop_table('revoked_clients')
    op.drop_index('ix_referrals_outgoing', table_name='referrals')
    op.drop_index('ix_referrals_incoming', table_name='referrals')
    op.drop_index('ix_referrals_deadline', table_name='referrals')
    op.drop_index('ix_referrals_client', table_name='referrals')
    op.drop_table('referrals')
    op.drop_table('organisations')
    op.drop_table('idempotency_keys')
    drop_outbox_and_inbox(op)
