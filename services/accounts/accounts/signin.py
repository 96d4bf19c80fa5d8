"""People's sign-in sessions at accounts and the OAuth2 authorization codes they lead to.

A session starts when the password is right (stage `password`) and is `complete` only after the
TOTP code: no code is issued before that. Sessions end on sign-out, after `session_idle_minutes`
without use and at `session_max_hours` at the latest. The browser holds a random id; the table only
its SHA-256. Codes are single-use, live `code_lifetime_seconds`, and are bound to the client, its
redirect URI and the PKCE challenge (S256 only, RFC 7636).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db import utcnow

from accounts.models import AuthorizationCode, Person, WebSession
from accounts import people
from accounts.people import token_hash
from accounts.settings import AccountsSettings

VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode().rstrip("=")


def start(session: Session, settings: AccountsSettings, person: Person) -> str:
    raw, now = secrets.token_urlsafe(32), utcnow()
    session.add(WebSession(id_hash=token_hash(raw), person_id=person.id, stage="password", created_at=now,
                           last_seen_at=now, expires_at=now + timedelta(hours=settings.session_max_hours)))
    return raw


def current(session: Session, settings: AccountsSettings, raw: str | None) -> WebSession | None:
    """The live session with this id (its use keeps it alive), or None when ended or expired."""
    if not raw:
        return None
    web_session, now = session.get(WebSession, token_hash(raw)), utcnow()
    if web_session is None or web_session.ended_at is not None or web_session.expires_at <= now:
        return None
    if web_session.last_seen_at + timedelta(minutes=settings.session_idle_minutes) <= now:
        web_session.ended_at = now
        return None
    person = session.get(Person, web_session.person_id)
    if person is None or not person.active:
        web_session.ended_at = now
        return None
    web_session.last_seen_at = now
    return web_session


def end(session: Session, raw: str | None) -> None:
    web_session = session.get(WebSession, token_hash(raw)) if raw else None
    if web_session is not None and web_session.ended_at is None:
        web_session.ended_at = utcnow()


def end_all(session: Session, person_id) -> None:
    session.execute(sa.update(WebSession).where(WebSession.person_id == person_id, WebSession.ended_at.is_(None))
                    .values(ended_at=utcnow()))


def issue_code(session: Session, settings: AccountsSettings, person_id, *, client_id: str, redirect_uri: str,
               code_challenge: str) -> str:
    raw, now = secrets.token_urlsafe(32), utcnow()
    session.add(AuthorizationCode(code_hash=token_hash(raw), client_id=client_id, redirect_uri=redirect_uri,
                                  person_id=person_id, code_challenge=code_challenge, created_at=now,
                                  expires_at=now + timedelta(seconds=settings.code_lifetime_seconds)))
    return raw


class InvalidGrant(Exception):
    pass


def redeem(session: Session, code: str, *, client_id: str, redirect_uri: str, verifier: str) -> Person:
    """The person a code was issued to. The code is used up by the first attempt, right or wrong."""
    now = utcnow()
    claimed = session.execute(sa.update(AuthorizationCode)
                              .where(AuthorizationCode.code_hash == token_hash(code),
                                     AuthorizationCode.used_at.is_(None))
                              .values(used_at=now)).rowcount
    grant = session.get(AuthorizationCode, token_hash(code)) if claimed == 1 else None
    if grant is None:
        raise InvalidGrant("The code is unknown or already used.")
    if grant.expires_at <= now:
        raise InvalidGrant("The code has expired.")
    if grant.client_id != client_id or grant.redirect_uri != redirect_uri:
        raise InvalidGrant("The code was issued to another client or redirect_uri.")
    if not VERIFIER.match(verifier or "") or not hmac.compare_digest(s256(verifier), grant.code_challenge):
        raise InvalidGrant("code_verifier does not match the code_challenge.")
    person = session.get(Person, grant.person_id)
    if not people.may_sign_in(session, person):
        raise InvalidGrant("The person can no longer sign in.")
    return person
