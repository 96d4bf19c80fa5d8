"""API clients: credentials (argon2-hashed, shown once), authentication, the bootstrap operator."""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session, sessionmaker

from shared.contracts.events import ApiClientRevoked
from shared.db import unit_of_work, utcnow
from shared.runtime import ServiceRuntime

from accounts import audit
from accounts.models import ApiClient, Organisation

log = logging.getLogger(__name__)
# Client secrets are 256-bit random strings, so a slow, memory-hard profile (made for people's
# passwords) buys nothing against guessing them and would cost ~0.5 s of CPU per token request
# here. argon2id with a light profile still keeps a leaked table useless.
hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
OPERATOR_ROLES = ["operator"]
OPERATOR_SCOPES = ["organisations:admin", "ops:read"]
# Verified against when the client id is unknown, so a wrong id costs as long as a wrong secret.
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Credentials:
    client: ApiClient
    secret: str


def new_client_id() -> str:
    return "hub_" + secrets.token_urlsafe(18)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def create_client(session: Session, *, name: str, organisation_id, scopes: list[str],
                  roles: list[str] | None = None, client_id: str | None = None,
                  secret: str | None = None, actor: audit.Actor | None = None) -> Credentials:
    secret = secret or new_secret()
    client = ApiClient(client_id=client_id or new_client_id(), organisation_id=organisation_id, name=name,
                       secret_hash=hasher.hash(secret), scopes=list(scopes), roles=list(roles or []),
                       created_at=utcnow())
    session.add(client)
    session.flush()
    audit.record(session, "api_client.created", target_type="api_client", target_id=client.client_id,
                 organisation_id=organisation_id, changes={"name": name, "scopes": list(scopes),
                                                           "roles": list(roles or [])}, actor=actor)
    return Credentials(client, secret)


def rotate_secret(session: Session, client: ApiClient) -> str:
    secret = new_secret()
    client.secret_hash, client.secret_rotated_at = hasher.hash(secret), utcnow()
    audit.record(session, "api_client.secret_rotated", target_type="api_client", target_id=client.client_id,
                 organisation_id=client.organisation_id, changes={"client_secret": True})
    return secret


def revoke(runtime: ServiceRuntime, session: Session, client: ApiClient) -> bool:
    """Revoke once; `api_client.revoked` tells the other services to refuse its tokens in flight."""
    if client.revoked_at is not None:
        return False
    client.revoked_at = utcnow()
    runtime.emit(session, ApiClientRevoked(client_id=client.client_id, organisation_id=client.organisation_id,
                                           revoked_at=client.revoked_at), subject=client.client_id)
    audit.record(session, "api_client.revoked", target_type="api_client", target_id=client.client_id,
                 organisation_id=client.organisation_id)
    return True


def secret_matches(secret_hash: str, secret: str) -> bool:
    try:
        return hasher.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, client_id: str, secret: str) -> ApiClient | None:
    """The client these credentials belong to, if it may get tokens (not revoked, organisation active)."""
    # PostgreSQL refuses NUL in text: such an id cannot exist, and must not become a 500.
    plausible = client_id and len(client_id) <= 64 and "\x00" not in client_id
    client = session.get(ApiClient, client_id) if plausible else None
    if client is None:
        secret_matches(_DUMMY_HASH, secret)
        return None
    if not secret_matches(client.secret_hash, secret):
        return None
    if client.revoked_at is not None or not organisation_active(session, client.organisation_id):
        return None
    if hasher.check_needs_rehash(client.secret_hash):
        client.secret_hash = hasher.hash(secret)
    return client


def organisation_active(session: Session, organisation_id) -> bool:
    if organisation_id is None:
        return True
    return bool(session.scalar(sa.select(Organisation.active).where(Organisation.id == organisation_id)))


def refused_client(session: Session, client_id: str | None) -> bool:
    """Whether tokens of this client must be refused now (revoked, or its organisation deactivated)."""
    if not client_id:
        return False
    row = session.execute(
        sa.select(ApiClient.revoked_at, Organisation.active)
        .outerjoin(Organisation, Organisation.id == ApiClient.organisation_id)
        .where(ApiClient.client_id == client_id)).first()
    if row is None:
        return False
    revoked_at, org_active = row
    return revoked_at is not None or org_active is False


def ensure_bootstrap_client(sessions: sessionmaker[Session], client_id: str, secret: str) -> str:
    """Make sure the operator client from the environment exists with this secret (idempotent).

    Returns what was done: "created", "updated" (the secret or its rights changed) or "unchanged".
    A revoked bootstrap client stays revoked. Two processes racing to create it is fine: the loser sees the IntegrityError.
    """
    try:
        with unit_of_work(sessions) as session:
            client = session.get(ApiClient, client_id)
            if client is None:
                create_client(session, name="Bootstrap operator client", organisation_id=None, actor=audit.SYSTEM,
                              scopes=OPERATOR_SCOPES, roles=OPERATOR_ROLES, client_id=client_id, secret=secret)
                return "created"
            changed = False
            if not secret_matches(client.secret_hash, secret):
                client.secret_hash, client.secret_rotated_at, changed = hasher.hash(secret), utcnow(), True
            if client.revoked_at is not None:
                # An operator revoked it on purpose: a restart must not bring it back.
                log.warning("the bootstrap client %s is revoked; it stays revoked", client_id)
            if (client.roles, client.scopes, client.organisation_id) != (OPERATOR_ROLES, OPERATOR_SCOPES, None):
                client.roles, client.scopes, client.organisation_id, changed = OPERATOR_ROLES, OPERATOR_SCOPES, None, True
            if changed:
                audit.record(session, "api_client.bootstrap_updated", target_type="api_client", target_id=client_id,
                             organisation_id=None, actor=audit.SYSTEM)
            return "updated" if changed else "unchanged"
    except sa.exc.IntegrityError:
        log.info("bootstrap client created by another process at the same time")
        return "unchanged"
