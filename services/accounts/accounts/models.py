"""accounts' tables: organisations and their service directory, API clients, signing keys, people
and their sign-in (invitations, sessions, authorization codes), the audit log, rate-limit
windows, and the outbox/inbox."""
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
    services_version: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0",
                                                  comment="sequence of organisation.services_updated")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.Index("ix_organisations_page", "created_at", "id"),)


class ServiceEntry(Base):
    """One entry of the service directory (Open Referral HSDS's `service`, flattened)."""

    __tablename__ = "services"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer, comment="order within the organisation's list")
    name_fi: Mapped[str] = mapped_column(sa.String(200))
    name_sv: Mapped[str | None] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    needs: Mapped[list[str]] = mapped_column(sa.JSON)
    age_min: Mapped[int | None] = mapped_column(sa.Integer)
    age_max: Mapped[int | None] = mapped_column(sa.Integer)
    languages: Mapped[list[str]] = mapped_column(sa.JSON)
    municipality_codes: Mapped[list[str]] = mapped_column(sa.JSON, comment="empty: the whole country")
    capacity: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.Index("ix_services_page", "created_at", "id"),)


class ServiceFacet(Base):
    """The searchable values of an entry (need, language, municipality), one row each, so the
    directory search is an indexed lookup on SQLite and PostgreSQL alike (no JSON operators)."""

    __tablename__ = "service_facets"

    service_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("services.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(16), primary_key=True)

    __table_args__ = (sa.Index("ix_service_facets_lookup", "kind", "value", "service_id"),)


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


class AuditEntry(Base):
    """An administrative action: who (subject and organisation), what, on which target, when, and
    which fields changed (never a secret's value)."""

    __tablename__ = "audit_log"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_subject: Mapped[str] = mapped_column(sa.String(64))
    actor_kind: Mapped[str] = mapped_column(sa.String(16), comment="person | api_client | system")
    actor_organisation_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    action: Mapped[str] = mapped_column(sa.String(64))
    target_type: Mapped[str] = mapped_column(sa.String(32))
    target_id: Mapped[str] = mapped_column(sa.String(64))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, comment="the organisation administered")
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.Index("ix_audit_log_page", "at", "id"),
                      sa.Index("ix_audit_log_organisation", "organisation_id", "at", "id"))


class RateLimitWindow(Base):
    """Fixed-window counters shared by every worker and instance (rate limits, lockouts)."""

    __tablename__ = "rate_limit_windows"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(sa.Integer, primary_key=True, comment="Unix seconds")
    hits: Mapped[int] = mapped_column(sa.Integer)


class Person(Base):
    """A counsellor, organisation admin or operator (no organisation) who signs in with a password
    and a TOTP second factor. Tokens carry the id and role, never the name."""

    __tablename__ = "people"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255), comment="argon2id; NULL until enrolled")
    totp_key_id: Mapped[str | None] = mapped_column(sa.String(32))
    totp_secret: Mapped[bytes | None] = mapped_column(sa.LargeBinary, comment="encrypted with the KeyRing")
    totp_last_step: Mapped[int | None] = mapped_column(sa.Integer, comment="a TOTP code is accepted once")
    failed_logins: Mapped[int] = mapped_column(sa.Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1",
                                         comment="the person.* events' per-person sequence")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.Index("ix_people_page", "created_at", "id"),)


class Invitation(Base):
    """A one-time link to set a password and enrol TOTP; only its SHA-256 is stored."""

    __tablename__ = "invitations"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("people.id"), index=True)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_key_id: Mapped[str | None] = mapped_column(sa.String(32))
    totp_secret: Mapped[bytes | None] = mapped_column(sa.LargeBinary, comment="offered at the first view; encrypted")


class WebSession(Base):
    """A person's sign-in at accounts (the browser holds a random id; only its SHA-256 is stored)."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("people.id"), index=True)
    stage: Mapped[str] = mapped_column(sa.String(16), comment="password (TOTP pending) | complete")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), comment="absolute end")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthorizationCode(Base):
    """OAuth2 authorization code: single use, short-lived, bound to client, redirect URI and PKCE."""

    __tablename__ = "authorization_codes"

    code_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(64))
    redirect_uri: Mapped[str] = mapped_column(sa.String(500))
    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("people.id"), index=True)
    code_challenge: Mapped[str] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


messaging = define_messaging_tables(Base.metadata)
