"""People who sign in: counsellors, organisation admins and operators (who belong to no organisation).

Creating a person, changing their role and (de)activating them bump the person's `version` and emit
a `person.*` event in the same transaction (its `sequence` is that version), so referrals and
notifications can refuse a deactivated person's token at once and know whom to notify.

A person is invited (a one-time link, only its SHA-256 stored), sets a password (argon2id with the
library's default, memory-hard profile: people choose guessable passwords, unlike client secrets)
and enrols a TOTP second factor. Five failed sign-ins lock the person for fifteen minutes.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from shared.contracts.events import (PersonDeactivated, PersonReactivated, PersonRegistered, PersonSnapshot,
                                     PersonUpdated)
from shared.crypto import KeyRing
from shared.db import utcnow
from shared.runtime import ServiceRuntime

from accounts import audit
from accounts.clients import organisation_active
from accounts.models import Invitation, Person

ROLES = ("counsellor", "org_admin", "operator")
#: What each role may do, as the scopes of its access tokens.
ROLE_SCOPES = {
    "counsellor": ["referrals:read", "referrals:write"],
    "org_admin": ["referrals:read", "referrals:write", "organisations:admin", "webhooks:manage"],
    "operator": ["organisations:admin", "ops:read"],
}
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
INVITATION_LIFETIME = timedelta(hours=72)
PASSWORD_MIN, PASSWORD_MAX = 12, 128
TOTP_ISSUER = "Nuorten ohjausverkko"
# The most common passwords of at least 12 characters; a longer list belongs in a file if needed.
COMMON_PASSWORDS = frozenset({
    "123456789012", "qwertyuiopas", "password1234", "salasana1234", "salasana123!", "lösenord1234",
    "qwerty123456", "1q2w3e4r5t6y", "iloveyou1234", "passw0rd1234", "letmein12345", "abcdefghijkl",
    "aaaaaaaaaaaa", "111111111111", "welcome12345", "tervetuloa12", "kesäkuu2024!", "administrator",
})
hasher = PasswordHasher()
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


def token_hash(token: str) -> str:
    """Invitation links, session ids and codes are 256-bit random: SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


def password_problem(password: str, username: str) -> str | None:
    """Why this password is not acceptable, as a code (NIST SP 800-63B style: length, not a common
    password, not the username; no composition rules): too_short, too_long, too_common, has_username."""
    if len(password) < PASSWORD_MIN:
        return "too_short"
    if len(password) > PASSWORD_MAX:
        return "too_long"
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        return "too_common"
    if username and username.lower() in lowered:
        return "has_username"
    return None


def password_matches(person: Person | None, password: str) -> bool:
    """Constant work whether or not the person exists or has a password yet."""
    stored = person.password_hash if person is not None and person.password_hash else None
    try:
        return hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


# -- TOTP -------------------------------------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32(32)


def seal(keyring: KeyRing, secret: str, context: str) -> tuple[str, bytes]:
    return keyring.encrypt(secret.encode(), context.encode())


def unseal(keyring: KeyRing, key_id: str, blob: bytes, context: str) -> str:
    return keyring.decrypt(key_id, blob, context.encode()).decode()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The 30-second time step whose code this is (one step of clock drift allowed either way)."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(at)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def verify_totp(keyring: KeyRing, person: Person, code: str, at: datetime | None = None) -> bool:
    """A valid code not used before (a step at or before the last accepted one is a replay)."""
    if person.totp_secret is None:
        return False
    secret = unseal(keyring, person.totp_key_id, person.totp_secret, str(person.id))
    step = matching_step(secret, code, at or utcnow())
    if step is None or (person.totp_last_step is not None and step <= person.totp_last_step):
        return False
    person.totp_last_step = step
    return True


# -- lockout ----------------------------------------------------------------------------------

def may_sign_in(session: Session, person: Person | None) -> bool:
    """Active, enrolled, not locked, and (unless an operator) of an active organisation."""
    return (person is not None and person.active and person.totp_secret is not None and not locked(person)
            and organisation_active(session, person.organisation_id))


def locked(person: Person, at: datetime | None = None) -> bool:
    return person.locked_until is not None and person.locked_until > (at or utcnow())


def record_failure(session: Session, person: Person) -> None:
    person.failed_logins += 1
    if person.failed_logins >= MAX_FAILED_LOGINS:
        person.locked_until, person.failed_logins = utcnow() + LOCKOUT, 0
        audit.record(session, "person.locked", target_type="person", target_id=person.id,
                     organisation_id=person.organisation_id, actor=audit.Actor(str(person.id), "person",
                                                                                person.organisation_id))


def record_success(person: Person) -> None:
    person.failed_logins, person.locked_until = 0, None


# -- creating and changing people (each change an event) ---------------------------------------

def snapshot(person: Person, event: type[PersonSnapshot]) -> PersonSnapshot:
    """What the other services learn of a person: ids, role and whether active. Never the name or
    the username: they need neither to refuse a token or to find whom to notify."""
    return event(person_id=person.id, organisation_id=person.organisation_id, role=person.role,
                 active=person.active, sequence=person.version)


def _emit(runtime: ServiceRuntime, session: Session, person: Person, event: type[PersonSnapshot]) -> None:
    session.flush()
    runtime.emit(session, snapshot(person, event), subject=str(person.id))


def add_person(runtime: ServiceRuntime, session: Session, *, organisation_id: uuid.UUID | None, role: str,
               username: str, name: str, actor: audit.Actor | None = None) -> Person:
    now = utcnow()
    person = Person(id=uuid.uuid4(), organisation_id=organisation_id, role=role, username=username, name=name,
                    failed_logins=0, active=True, version=1, created_at=now, updated_at=now)
    session.add(person)
    _emit(runtime, session, person, PersonRegistered)
    audit.record(session, "person.invited", target_type="person", target_id=person.id, organisation_id=organisation_id,
                 changes={"username": username, "role": role}, actor=actor)
    return person


def change_role(runtime: ServiceRuntime, session: Session, person: Person, role: str) -> bool:
    """Give the person another role; the same role again changes and emits nothing."""
    if person.role == role:
        return False
    before = person.role
    person.role, person.version, person.updated_at = role, person.version + 1, utcnow()
    _emit(runtime, session, person, PersonUpdated)
    audit.record(session, "person.role_changed", target_type="person", target_id=person.id,
                 organisation_id=person.organisation_id, changes={"role": {"from": before, "to": role}})
    return True


def set_active(runtime: ServiceRuntime, session: Session, person: Person, active: bool) -> bool:
    """Deactivate or reactivate; doing it twice is not an error and emits nothing the second time."""
    if person.active == active:
        return False
    person.active, person.version, person.updated_at = active, person.version + 1, utcnow()
    _emit(runtime, session, person, PersonReactivated if active else PersonDeactivated)
    audit.record(session, "person.reactivated" if active else "person.deactivated", target_type="person",
                 target_id=person.id, organisation_id=person.organisation_id,
                 changes={"active": {"from": not active, "to": active}})
    return True


# -- invitations and enrolment ----------------------------------------------------------------

@dataclass(frozen=True)
class NewInvitation:
    token: str
    expires_at: datetime


def invite(session: Session, person: Person, actor: audit.Actor | None = None) -> NewInvitation:
    """A new one-time link; earlier unused links of the person stop working."""
    now = utcnow()
    session.execute(sa.update(Invitation).where(Invitation.person_id == person.id, Invitation.used_at.is_(None))
                    .values(used_at=now))
    token = secrets.token_urlsafe(32)
    invitation = Invitation(token_hash=token_hash(token), person_id=person.id,
                            created_by=(actor or audit.current_actor()).subject[:64], created_at=now,
                            expires_at=now + INVITATION_LIFETIME)
    session.add(invitation)
    return NewInvitation(token, invitation.expires_at)


def open_invitation(session: Session, token: str) -> Invitation | None:
    invitation = session.get(Invitation, token_hash(token))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= utcnow():
        return None
    return invitation


def enrol(session: Session, keyring: KeyRing, person: Person, password: str, totp_secret: str,
          used_step: int | None = None) -> None:
    """Set the password and the second factor (both replace earlier ones) and unlock; the code that
    confirmed the enrolment (`used_step`) cannot sign in again."""
    person.password_hash = hasher.hash(password)
    person.totp_key_id, person.totp_secret = seal(keyring, totp_secret, str(person.id))
    person.totp_last_step, person.updated_at = used_step, utcnow()
    record_success(person)
    audit.record(session, "person.enrolled", target_type="person", target_id=person.id,
                 organisation_id=person.organisation_id, changes={"password": True, "totp_secret": True},
                 actor=audit.Actor(str(person.id), "person", person.organisation_id))
