"""accounts' tables: organisations, API clients, signing keys, and the outbox/inbox."""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, utcnow
from shared.messaging.tables import define_messaging_tables


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    name_fi: Mapped[str] = mapped_column(sa.String(200))
    name_sv: Mapped[str | None] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    type: Mapped[str] = mapped_column(sa.String(32))
    business_id: Mapped[str | None] = mapped_column(sa.String(9))
    municipality_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    response_deadline_days: Mapped[int] = mapped_column(sa.Integer, default=14)
    version: Mapped[int] = mapped_column(sa.Integer, default=1, comment="the events' per-organisation sequence")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.Index("ix_organisations_page", "created_at", "id"),)


class ApiClient(Base):
    __tablename__ = "api_clients"

    client_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True, comment="NULL for the operator's own clients")
    name: Mapped[str] = mapped_column(sa.String(200))
    secret_hash: Mapped[str] = mapped_column(sa.String(255), comment="argon2id; the secret is shown once")
    scopes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    roles: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SigningKey(Base):
    """RS256 keys; the highest `generation` not retired signs, every unretired one is in the JWKS.

    `generation` is unique so that two processes generating the first key (or rotating) at once
    cannot both succeed: the loser re-reads the winner's key.
    """

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    generation: Mapped[int] = mapped_column(sa.Integer, unique=True)
    encryption_key_id: Mapped[str] = mapped_column(sa.String(32))
    private_key: Mapped[bytes] = mapped_column(sa.LargeBinary, comment="PEM encrypted with the KeyRing")
    public_jwk: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


messaging = define_messaging_tables(Base.metadata)
