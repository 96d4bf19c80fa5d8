"""accounts' initial schema: organisations, API clients, signing keys, outbox and inbox.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

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
    sa.Column('name_fi', sa.String(length=200), nullable=False),
    sa.Column('name_sv', sa.String(length=200), nullable=True),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('business_id', sa.String(length=9), nullable=True),
    sa.Column('municipality_codes', sa.JSON(), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('response_deadline_days', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False, comment="the events' per-organisation sequence"),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_organisations_page', 'organisations', ['created_at', 'id'], unique=False)
    op.create_index('ix_organisations_parent_id', 'organisations', ['parent_id'], unique=False)


    op.create_table('signing_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('encryption_key_id', sa.String(length=32), nullable=False),
    sa.Column('private_key', sa.LargeBinary(), nullable=False, comment='PEM encrypted with the KeyRing'),
    sa.Column('public_jwk', sa.JSON(), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('kid'),
    sa.UniqueConstraint('generation')
    )
    op.create_table('api_clients',
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=True, comment="NULL for the operator's own clients"),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('secret_hash', sa.String(length=255), nullable=False, comment='argon2id; the secret is shown once'),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('secret_rotated_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('client_id')
    )
    op.create_index('ix_api_clients_organisation_id', 'api_clients', ['organisation_id'], unique=False)



def downgrade() -> None:
    op.drop_index('ix_api_clients_organisation_id', table_name='api_clients')

    op.drop_table('api_clients')
    op.drop_table('signing_keys')

    op.drop_index('ix_organisations_parent_id', table_name='organisations')
    op.drop_index('ix_organisations_page', table_name='organisations')

    op.drop_table('organisations')
    drop_outbox_and_inbox(op)
