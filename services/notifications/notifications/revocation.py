"""Tokens of API clients revoked in accounts are refused here as soon as the event arrives."""
from __future__ import annotations

from shared.auth import Principal

from notifications.models import RevokedClient


class RevokedClients:
    """The `is_revoked` hook of `shared.auth.TokenVerifier`, backed by the revoked_clients table."""

    def __init__(self, sessions):
        self.sessions = sessions

    def __call__(self, principal: Principal) -> bool:
        if not principal.client_id:
            return False
        with self.sessions() as session:
            return session.get(RevokedClient, principal.client_id) is not None
