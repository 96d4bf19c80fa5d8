"""Refusing tokens at once, without waiting for their expiry, from accounts' events.

- An API client's token (it has `client_id`) issued at or before the client's revocation
  (`api_client.revoked`) is refused; a client re-created with the same id later (issued after
  `revoked_at`) is not.
- A person's token (no `client_id`; `sub` is the person's id) is refused while the people read
  model (`person.*`) holds the person as inactive. A person it has not seen yet stays accepted:
  events may lag behind the first sign-in, and accounts signs no token for an inactive person.

One primary-key lookup per request.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from shared.auth import Principal

from referrals.models import Person, RevokedClient


def revocation_check(sessions):
    def is_revoked(principal: Principal) -> bool:
        with sessions() as session:
            if principal.client_id:
                revoked = session.get(RevokedClient, principal.client_id)
                issued_at = datetime.fromtimestamp(principal.issued_at, timezone.utc)
                return revoked is not None and issued_at <= revoked.revoked_at
            person_id = _uuid(principal.subject)
            person = session.get(Person, person_id) if person_id is not None else None
            return person is not None and not person.active
    return is_revoked


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
