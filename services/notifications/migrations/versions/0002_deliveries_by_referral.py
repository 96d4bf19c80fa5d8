"""Deliveries by referral: the operator console's timeline of one referral.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_deliveries_referral', 'deliveries', ['referral_id'])


def downgrade() -> None:
    op.drop_index('ix_deliveries_referral', table_name='deliveries')
