"""Statistics read an index, not the table: `created_at` with the anonymous facts included.

With a million referrals the network's yearly statistics scanned half the table (client data blobs
and all); on PostgreSQL the covering index makes each GROUP BY an index-only scan (`make
bench-scale`). SQLite ignores INCLUDE and keeps a plain index on `created_at`, as before.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

STATISTICS_COLUMNS = ["status", "status_code", "answer_seconds", "from_organisation_id", "to_organisation_id",
                      "sent_month"]


def upgrade() -> None:
    op.drop_index("ix_referrals_created", table_name="referrals")
    op.create_index("ix_referrals_created", "referrals", ["created_at"], postgresql_include=STATISTICS_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_referrals_created", table_name="referrals")
    op.create_index("ix_referrals_created", "referrals", ["created_at"])
