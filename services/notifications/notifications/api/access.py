"""Who may call the API: an organisation's clients for their own endpoints, operators read-only."""
from __future__ import annotations

import uuid

from shared.auth import Principal, current_principal, forbidden

MANAGE = "webhooks:manage"


def organisation_of(principal: Principal) -> uuid.UUID:
    try:
        return uuid.UUID(str(principal.organisation_id))
    except ValueError:
        raise forbidden("The token names no organisation.") from None


def managing_organisation() -> uuid.UUID:
    """The organisation whose endpoints the caller manages (scope webhooks:manage; not operators)."""
    return organisation_of(current_principal(scope=MANAGE, operator_allowed=False))


def reading_organisation() -> uuid.UUID | None:
    """The organisation whose endpoints and deliveries the caller may read; None for operators (all)."""
    principal = current_principal()
    if principal.is_operator:
        return None
    if not (principal.has_scope(MANAGE) or "org_admin" in principal.roles):
        raise forbidden(f"The token lacks the scope {MANAGE}.")
    return organisation_of(principal)
