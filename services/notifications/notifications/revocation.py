"""Tokens refused here before they expire: those of API clients revoked in accounts, and those of
people accounts has deactivated, as soon as the event arrives."""
from __future__ import annotations

import uuid

from shared.auth import Principal

from notifications.models import RevokedClient
from notifications.notices.people import is_inactive


class RefusedTokens:
    """The `is_revoked` hook of `shared.auth.TokenVerifier`: the revoked_clients table for clients'
    tokens, the people read model for people's (a token without `client_id` is a person's)."""

    def __init__(self, sessions):
        self.sessions = sessions

    def __call__(self, principal: Principal) -> bool:
        with self.sessions() as session:
            if principal.client_id:
                return session.get(RevokedClient, principal.client_id) is not None
            try:
                person_id = uuid.UUID(principal.subject)
            except ValueError:
                return False
            return is_inactive(session, person_id)
