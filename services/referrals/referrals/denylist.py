"""Refusing tokens of revoked API clients (fed by accounts' `api_client.revoked` events).

A token issued at or before the revocation is refused; a client re-created with the same id later
(issued after `revoked_at`) is not. One primary-key lookup per request with a client token.
"""
from __future__ import annotations

from datetime import datetime, timezone

from shared.auth import Principal

from referrals.models import RevokedClient


def revocation_check(sessions):
    def is_revoked(principal: Principal) -> bool:
        if not principal.client_id:
            return False
        with sessions() as session:
            revoked = session.get(RevokedClient, principal.client_id)
        return revoked is not None and datetime.fromtimestamp(principal.issued_at, timezone.utc) <= revoked.revoked_at
    return is_revoked
