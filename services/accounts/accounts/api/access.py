"""Who may call what (CONTRACT.md): the checks accounts' endpoints share.

Organisations are visible to every authenticated caller (they are the directory of the network),
so administering one that is not yours answers 403, not 404. An API client id under the wrong
organisation answers 404: client ids of other organisations are not disclosed.
"""
from __future__ import annotations

from uuid import UUID

from shared.auth import Principal, current_principal, forbidden

ADMIN_SCOPE = "organisations:admin"


def is_admin_of(principal: Principal, organisation_id: UUID) -> bool:
    """An operator, or the organisation's own admin (person) or client with `organisations:admin`."""
    if principal.is_operator:
        return True
    own = principal.organisation_id is not None and principal.organisation_id == str(organisation_id)
    return own and ("org_admin" in principal.roles or principal.has_scope(ADMIN_SCOPE))


def require_operator() -> Principal:
    principal = current_principal()
    if not principal.is_operator:
        raise forbidden("Only an operator may do this.")
    return principal


def require_admin_of(organisation_id: UUID) -> Principal:
    principal = current_principal()
    if not is_admin_of(principal, organisation_id):
        raise forbidden("Only an operator or this organisation's admin may do this.")
    return principal
