"""The notifications database: read models fed by events, webhook endpoints, deliveries and attempts;
people's notices, their read markers, email settings and emails."""
from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, utcnow
from shared.languages import LANGUAGES
from shared.messaging.tables import define_messaging_tables

DELIVERY_STATUSES = ("created", "sending", "delivered", "temporary-failure", "permanent-failure",
                     "technical-failure")
FAILED_STATUSES = ("temporary-failure", "permanent-failure", "technical-failure")
ROLES = ("counsellor", "org_admin", "operator")
#: Who of an organisation a notice is for: everyone (referral news) or its admins (its webhooks).
AUDIENCES = ("everyone", "org_admin")
EMAIL_FREQUENCIES = ("immediately", "daily", "off")


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    """What this service knows of an organisation (from organisation.* events)."""

    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    sequence: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class ReferralParty(Base):
    """The two parties of a referral and its last known status (from referral.* events)."""

    __tablename__ = "referral_parties"

    referral_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    from_organisation_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False, index=True)
    to_organisation_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False, index=True)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    sequence: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class Webhook(Base):
    """An organisation's endpoint. Secrets are AES-GCM encrypted with the key ring's key id beside them."""

    __tablename__ = "webhooks"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False, index=True)
    url: Mapped[str] = mapped_column(sa.String(2000), nullable=False)
    event_types: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False)
    secret_key_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    secret_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    previous_secret_key_id: Mapped[str | None] = mapped_column(sa.String(40))
    previous_secret_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    first_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Deleted endpoints are kept (without deliveries going out) so the delivery log stays whole.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Delivery(Base):
    """One event to one endpoint, with GOV.UK Notify's statuses; retried until delivered or given up."""

    __tablename__ = "deliveries"
    __table_args__ = (
        sa.UniqueConstraint("webhook_id", "event_id", name="uq_deliveries_webhook_event"),
        sa.CheckConstraint(sa.column("status").in_(DELIVERY_STATUSES), name="ck_deliveries_status"),
        sa.Index("ix_deliveries_due", "status", "next_attempt_at"),
        sa.Index("ix_deliveries_organisation_created", "organisation_id", "created_at"),
        sa.Index("ix_deliveries_webhook_created", "webhook_id", "created_at"),
        sa.Index("ix_deliveries_referral", "referral_id"),  # the operators' timeline of a referral
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    webhook_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("webhooks.id"), nullable=False)
    organisation_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    event_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    event_type: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    referral_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, comment="the exact JSON sent, thin")
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="created")
    attempt_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    trace_headers: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict,
                                                comment="the processing span, parent of the delivery spans")


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("deliveries.id"), nullable=False,
                                                   index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    duration_ms: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    error: Mapped[str | None] = mapped_column(sa.String(500))


class RevokedClient(Base):
    """API clients revoked in accounts: their still-valid tokens are refused here too."""

    __tablename__ = "revoked_clients"

    client_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class Person(Base):
    """What this service knows of a person (from person.* events): ids and role, never a name."""

    __tablename__ = "people"

    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    role: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    sequence: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class Notice(Base):
    """News for an organisation's people: one row per (organisation, event), read markers per person.

    Addressed to the organisation, not to people, so someone who joins later sees its recent
    notices and the handler needs no list of people. Ids and codes only, never personal data."""

    __tablename__ = "notices"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "event_id", name="uq_notices_organisation_event"),
        sa.CheckConstraint(sa.column("audience").in_(AUDIENCES), name="ck_notices_audience"),
        sa.Index("ix_notices_organisation_created", "organisation_id", "created_at", "id"),
        sa.Index("ix_notices_created", "created_at"),  # retention
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    event_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(80), nullable=False, comment="the event type")
    audience: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="everyone")
    referral_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    webhook_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    code: Mapped[str | None] = mapped_column(sa.String(40), comment="a coded reason or outcome")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # When it was stored (not when it happened): the digest's windows are cut by this, so a late
    # event still lands in the next digest.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class NoticeRead(Base):
    __tablename__ = "notice_reads"

    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    notice_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("notices.id", ondelete="CASCADE"),
                                                 primary_key=True, index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class NotificationSettings(Base):
    """A person's choices. The email address is personal data: AES-GCM encrypted (the key ring of
    the webhook secrets, the person's id as associated data), never logged, never in an event."""

    __tablename__ = "notification_settings"
    __table_args__ = (
        sa.CheckConstraint(sa.column("language").in_(LANGUAGES), name="ck_notification_settings_language"),
        sa.CheckConstraint(sa.column("email_frequency").in_(EMAIL_FREQUENCIES),
                           name="ck_notification_settings_frequency"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    email_key_id: Mapped[str | None] = mapped_column(sa.String(40))
    email_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    language: Mapped[str] = mapped_column(sa.String(2), nullable=False, default="fi")
    email_frequency: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="immediately")
    # The end of the window the person's last daily digest covered (None: no digest yet).
    digest_covered_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class Email(Base):
    """One email to one person: a notice (immediately) or a day's digest, with GOV.UK Notify's statuses.

    Holds no address and no text: both are read when it is sent (the address decrypted from the
    person's settings, the text rendered in their language)."""

    __tablename__ = "emails"
    __table_args__ = (
        sa.UniqueConstraint("person_id", "notice_id", name="uq_emails_person_notice"),
        sa.UniqueConstraint("person_id", "digest_date", name="uq_emails_person_digest_date"),
        sa.CheckConstraint(sa.column("status").in_(DELIVERY_STATUSES), name="ck_emails_status"),
        sa.CheckConstraint("(notice_id IS NULL) <> (digest_date IS NULL)", name="ck_emails_notice_or_digest"),
        sa.Index("ix_emails_due", "status", "next_attempt_at"),
        sa.Index("ix_emails_created", "created_at"),
        sa.Index("ix_emails_notice", "notice_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    organisation_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    notice_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, sa.ForeignKey("notices.id", ondelete="CASCADE"))
    digest_date: Mapped[date | None] = mapped_column(sa.Date, comment="the Helsinki date of a daily digest")
    covers_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    covers_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="created")
    attempt_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    trace_headers: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)


class EmailAttempt(Base):
    __tablename__ = "email_attempts"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    email_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("emails.id", ondelete="CASCADE"),
                                                nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    smtp_code: Mapped[int | None] = mapped_column(sa.Integer)
    duration_ms: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    error: Mapped[str | None] = mapped_column(sa.String(500), comment="addresses redacted")


messaging = define_messaging_tables(Base.metadata)
