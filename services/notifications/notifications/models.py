"""The notifications database: read models fed by events, webhook endpoints, deliveries and attempts."""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, utcnow
from shared.messaging.tables import define_messaging_tables

DELIVERY_STATUSES = ("created", "sending", "delivered", "temporary-failure", "permanent-failure",
                     "technical-failure")
FAILED_STATUSES = ("temporary-failure", "permanent-failure", "technical-failure")


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


messaging = define_messaging_tables(Base.metadata)
