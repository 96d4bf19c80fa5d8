"""Issuing access tokens (RS256 JWTs) and verifying them on accounts' own endpoints."""
from __future__ import annotations

import time
import uuid

import jwt
from sqlalchemy.orm import Session, sessionmaker

from shared.auth import Principal, TokenVerifier

from accounts.clients import refused_client
from accounts.keys import KeyStore
from accounts.models import ApiClient
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


def local_verifier(settings: AccountsSettings, keys: KeyStore, sessions: sessionmaker[Session]) -> TokenVerifier:
    """accounts checks its own tokens against its key table (no HTTP to itself) and refuses a
    revoked client's tokens at once, without waiting for their expiry."""

    def is_revoked(principal: Principal) -> bool:
        with sessions() as session:
            return refused_client(session, principal.client_id)

    return TokenVerifier(keys.verification_key, audience=settings.audience, issuer=settings.issuer,
                         is_revoked=is_revoked)
