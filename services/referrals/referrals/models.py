"""The referrals database: referrals with encrypted client data, their history and access log,
the organisations and people read models fed by accounts' events, idempotency keys, revoked API
clients, and the outbox/inbox of the event backbone."""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime
from shared.messaging.tables import define_messaging_tables


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    """What referrals knows of an organisation (read model of accounts' organisation.* events)."""

    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    name: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    response_deadline_days: Mapped[int | None] = mapped_column(sa.Integer)
    sequence: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class Referral(Base):
    """A referral. The client's data, the reason and the responsible worker are one AES-GCM blob
    (`data_blob`, key `data_key_id`, the referral id as associated data); `client_index` is a keyed
    hash (blind index) of the identity code, for finding open referrals of the same client.
    Once purged (`client_data_purged_at`), `data_blob` is empty and `data_key_id` is ""."""

    __tablename__ = "referrals"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    from_organisation_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    to_organisation_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    needs: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    urgency: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    consent_method: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    consent_given_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    consent_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_recorded_by: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    data_key_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    data_blob: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    client_index: Mapped[str | None] = mapped_column(sa.String(64))
    created_by: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Who withdrew the client's consent (subject and organisation); the time is consent_withdrawn_at.
    consent_withdrawn_by: Mapped[str | None] = mapped_column(sa.String(200))
    consent_withdrawn_by_organisation_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    #: The index key `client_index` was computed with (None: before rotation was tracked).
    index_key_id: Mapped[str | None] = mapped_column(sa.String(40))
    #: When the deadline reminder is due (None: no reminder) and when it was emitted.
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the receiver's organisation was first notified of it (notifications' delivery events).
    receiver_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Anonymous facts kept for statistics when the client data is gone: the coded reason or outcome
    # of the current status, the month it was sent (Europe/Helsinki, "YYYY-MM") and the seconds from
    # sending to the receiver's answer (accept or decline).
    status_code: Mapped[str | None] = mapped_column(sa.String(40))
    sent_month: Mapped[str | None] = mapped_column(sa.String(7))
    answer_seconds: Mapped[int | None] = mapped_column(sa.Integer)
    #: When it reached a closed status: the retention period runs from here.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set by the retention job, which empties `data_blob` and clears `client_index` and comment texts.
    client_data_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.Index("ix_referrals_incoming", "to_organisation_id", "updated_at", "id"),
        sa.Index("ix_referrals_outgoing", "from_organisation_id", "updated_at", "id"),
        sa.Index("ix_referrals_client", "client_index", "to_organisation_id"),
        sa.Index("ix_referrals_deadline", "status", "deadline_at"),
        sa.Index("ix_referrals_reminder", "status", "remind_at"),
        sa.Index("ix_referrals_retention", "client_data_purged_at", "closed_at"),
        sa.Index("ix_referrals_sent_by", "from_organisation_id", "created_at"),
        sa.Index("ix_referrals_sent_to", "to_organisation_id", "created_at"),
        # Covering on PostgreSQL (migration 0004): the statistics read only this index.
        sa.Index("ix_referrals_created", "created_at", postgresql_include=["status", "status_code", "answer_seconds",
                                                                          "from_organisation_id", "to_organisation_id",
                                                                          "sent_month"]),
    )
    # Every UPDATE is conditional on the version read (optimistic locking): two processes can never
    # both move the same referral from the same state.
    __mapper_args__ = {"version_id_col": version}


class HistoryEntry(Base):
    """Every status change and comment: who, from which organisation, when, and the coded value.
    Free text (a comment, a note) is encrypted like the client data."""

    __tablename__ = "referral_history"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, comment="the referral's version after it")
    referral_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("referrals.id"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # status | comment
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str | None] = mapped_column(sa.String(20))
    code: Mapped[str | None] = mapped_column(sa.String(40))
    text_key_id: Mapped[str | None] = mapped_column(sa.String(40))
    text_blob: Mapped[bytes | None] = mapped_column(sa.LargeBinary)

    __table_args__ = (sa.UniqueConstraint("referral_id", "version", name="uq_referral_history_version"),)


class AccessLogEntry(Base):
    """One response that carried a referral's client data: who, which organisation, where, when."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("referrals.id"), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    endpoint: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (sa.Index("ix_access_log_referral", "referral_id", "id"),)


class IdempotencyKey(Base):
    """An `Idempotency-Key` a client used, kept 24 hours; the body hash is keyed (it covers personal data)."""

    __tablename__ = "idempotency_keys"

    client: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    body_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    referral_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class OrganisationCapacity(Base):
    """Read model of `organisation.services_updated`: per need, the best capacity among the
    organisation's services for it (open > waitlist > closed)."""

    __tablename__ = "organisation_capacity"

    organisation_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    capacity_by_need: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    sequence: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class RevokedClient(Base):
    """API clients accounts revoked: their tokens issued up to `revoked_at` are refused."""

    __tablename__ = "revoked_clients"

    client_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class Person(Base):
    """What referrals knows of a person who signs in (read model of accounts' person.* events):
    enough to refuse a deactivated person's token at once. No name: the events carry none."""

    __tablename__ = "people"

    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, comment="NULL for operators")
    role: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    sequence: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


messaging = define_messaging_tables(Base.metadata)
