"""People, notices with read markers, email settings, emails and their attempts.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
import shared.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

STATUSES = "('created', 'sending', 'delivered', 'temporary-failure', 'permanent-failure', 'technical-failure')"


def upgrade() -> None:
    op.create_table('people',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('person_id')
    )
    op.create_index('ix_people_organisation_id', 'people', ['organisation_id'], unique=False)

    op.create_table('notices',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=80), nullable=False, comment='the event type'),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=True),
    sa.Column('webhook_id', sa.Uuid(), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=True, comment='a coded reason or outcome'),
    sa.Column('occurred_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("audience IN ('everyone', 'org_admin')", name='ck_notices_audience'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'event_id', name='uq_notices_organisation_event')
    )
    op.create_index('ix_notices_organisation_created', 'notices', ['organisation_id', 'created_at', 'id'],
                    unique=False)
    op.create_index('ix_notices_created', 'notices', ['created_at'], unique=False)

    op.create_table('notice_reads',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('notice_id', sa.Uuid(), nullable=False),
    sa.Column('read_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'notice_id')
    )
    op.create_index('ix_notice_reads_notice_id', 'notice_reads', ['notice_id'], unique=False)

    op.create_table('notification_settings',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('email_key_id', sa.String(length=40), nullable=True),
    sa.Column('email_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('email_frequency', sa.String(length=20), nullable=False),
    sa.Column('digest_covered_until', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("language IN ('fi', 'sv', 'en')", name='ck_notification_settings_language'),
    sa.CheckConstraint("email_frequency IN ('immediately', 'daily', 'off')",
                       name='ck_notification_settings_frequency'),
    sa.PrimaryKeyConstraint('person_id')
    )

    op.create_table('emails',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('notice_id', sa.Uuid(), nullable=True),
    sa.Column('digest_date', sa.Date(), nullable=True, comment='the Helsinki date of a daily digest'),
    sa.Column('covers_from', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('covers_until', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempt_count', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('trace_headers', sa.JSON(), nullable=False),
    sa.CheckConstraint(f"status IN {STATUSES}", name='ck_emails_status'),
    sa.CheckConstraint('(notice_id IS NULL) <> (digest_date IS NULL)', name='ck_emails_notice_or_digest'),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'notice_id', name='uq_emails_person_notice'),
    sa.UniqueConstraint('person_id', 'digest_date', name='uq_emails_person_digest_date')
    )
    op.create_index('ix_emails_due', 'emails', ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_emails_created', 'emails', ['created_at'], unique=False)
    op.create_index('ix_emails_notice', 'emails', ['notice_id'], unique=False)

    op.create_table('email_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('email_id', sa.Uuid(), nullable=False),
    sa.Column('at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('smtp_code', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True, comment='addresses redacted'),
    sa.ForeignKeyConstraint(['email_id'], ['emails.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_email_attempts_email_id', 'email_attempts', ['email_id'], unique=False)


def downgrade() -> None:
    for table in ("email_attempts", "emails", "notification_settings", "notice_reads", "notices", "people"):
        op.drop_table(table)
