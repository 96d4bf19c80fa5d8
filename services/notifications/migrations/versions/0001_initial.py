"""The notifications schema: read models, webhooks, deliveries, attempts, denylist, outbox and inbox.

Revision ID: 0001
Revises: -
"""
from alembic import op
import sqlalchemy as sa
import shared.db
from shared.messaging.migration_ops import create_outbox_and_inbox, drop_outbox_and_inbox


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_and_inbox(op)

    op.create_table('organisations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )

    op.create_table('referral_parties',
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('from_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('to_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('referral_id')
    )
    op.create_index('ix_referral_parties_from_organisation_id', 'referral_parties', ['from_organisation_id'], unique=False)
    op.create_index('ix_referral_parties_to_organisation_id', 'referral_parties', ['to_organisation_id'], unique=False)

    op.create_table('revoked_clients',
    sa.Column('client_id', sa.String(length=100), nullable=False),
    sa.Column('revoked_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('client_id')
    )
    op.create_table('webhooks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('secret_key_id', sa.String(length=40), nullable=False),
    sa.Column('secret_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('previous_secret_key_id', sa.String(length=40), nullable=True),
    sa.Column('previous_secret_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('previous_secret_expires_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_failure_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_webhooks_organisation_id', 'webhooks', ['organisation_id'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('webhook_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=80), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False, comment='the exact JSON sent, thin'),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempt_count', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('trace_headers', sa.JSON(), nullable=False, comment='the processing span, parent of the delivery spans'),
    sa.CheckConstraint("status IN ('created', 'sending', 'delivered', 'temporary-failure', 'permanent-failure', 'technical-failure')", name='ck_deliveries_status'),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('webhook_id', 'event_id', name='uq_deliveries_webhook_event')
    )
    op.create_index('ix_deliveries_due', 'deliveries', ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_deliveries_organisation_created', 'deliveries', ['organisation_id', 'created_at'], unique=False)
    op.create_index('ix_deliveries_webhook_created', 'deliveries', ['webhook_id', 'created_at'], unique=False)

    op.create_table('delivery_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('delivery_id', sa.Uuid(), nullable=False),
    sa.Column('at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_delivery_attempts_delivery_id', 'delivery_attempts', ['delivery_id'], unique=False)


def downgrade() -> None:
    for table in ("delivery_attempts", "deliveries", "webhooks", "revoked_clients", "referral_parties",
                  "organisations"):
        op.drop_table(table)
    drop_outbox_and_inbox(op)
