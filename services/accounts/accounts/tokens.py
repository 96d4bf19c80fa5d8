"""Issuing access tokens (RS256 JWTs) and verifying them on accounts' own endpoints."""
from __future__ import annotations

import time
import uuid

import jwt
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from shared.auth import Principal, TokenVerifier

from accounts.clients import refused_client
from accounts.keys import KeyStore
from accounts.models import ApiClient, Person
from accounts.people import ROLE_SCOPES
from accounts.settings import AccountsSettings


def issue_token(settings: AccountsSettings, keys: KeyStore, client: ApiClient, scopes: list[str]) -> str:
    key = keys.current()
    now = int(time.time())
    claims = {
        "iss": settings.issuer, "sub": client.client_id, "aud": settings.audience,
        "iat": now, "exp": now + settings.token_lifetime_seconds, "jti": uuid.uuid4().hex,
        "scope": " ".join(scopes), "roles": list(client.roles), "client_id": client.client_id,
    }
    if client.organisation_id is not None:
        claims["org"] = str(client.organisation_id)
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def issue_person_token(settings: AccountsSettings, keys: KeyStore, person: Person, client_id: str) -> tuple[str, list[str]]:
    """A person's token: like a client's, but `sub` is the person, `roles` their role, `amr` says
    password and one-time code were both checked, and `azp` names the web client. No `client_id`
    (shared.auth counts a token without one as a person's) and no name: nobody needs it."""
    key = keys.current()
    now, scopes = int(time.time()), ROLE_SCOPES[person.role]
    claims = {
        "iss": settings.issuer, "sub": str(person.id), "aud": settings.audience,
        "iat": now, "exp": now + settings.token_lifetime_seconds, "jti": uuid.uuid4().hex,
        "scope": " ".join(scopes), "roles": [person.role], "amr": ["pwd", "otp"], "azp": client_id,
    }
    if person.organisation_id is not None:
        claims["org"] = str(person.organisation_id)
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid}), scopes


def local_verifier(settings: AccountsSettings, keys: KeyStore, sessions: sessionmaker[Session]) -> TokenVerifier:
    """accounts checks its own tokens against its key table (no HTTP to itself) and refuses the
    tokens of a revoked client or a deactivated person at once, without waiting for their expiry."""

    def is_revoked(principal: Principal) -> bool:
        with sessions() as session:
            if principal.client_id is None:
                return not session.scalar(sa.select(Person.active).where(Person.id == _uuid(principal.subject)))
            return refused_client(session, principal.client_id)

    return TokenVerifier(keys.verification_key, audience=settings.audience, issuer=settings.issuer,
                         is_revoked=is_revoked)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
