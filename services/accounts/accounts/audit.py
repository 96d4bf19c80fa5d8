"""The audit log of administrative actions: who (subject, kind, organisation), what, which target,
when, and which fields changed.

Written in the same transaction as the change it describes, so there is no change without its
entry. Values of fields that hold secrets are never written: such a field appears as "(changed)".
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow

from accounts.models import AuditEntry

SECRET_MARKERS = ("secret", "password", "hash", "token", "totp")


@dataclass(frozen=True)
class Actor:
    subject: str
    kind: str  # person | api_client | system
    organisation_id: uuid.UUID | None = None

    @classmethod
    def of(cls, principal: Principal) -> "Actor":
        org = uuid.UUID(principal.organisation_id) if principal.organisation_id else None
        return cls(principal.subject, "api_client" if principal.client_id else "person", org)


#: Changes made by an operator at the command line (`python -m accounts ...`) or at start-up.
SYSTEM = Actor("system", "system")


def current_actor() -> Actor:
    """The verified caller of this request (every audited endpoint has authenticated it first)."""
    principal = g.get("hub_principal") if has_request_context() else None
    return Actor.of(principal) if principal is not None else SYSTEM


def _plain(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, datetime)):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def redacted(changes: dict[str, Any]) -> dict[str, Any]:
    return {key: "(changed)" if any(marker in key.lower() for marker in SECRET_MARKERS) else _plain(value)
            for key, value in changes.items()}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """`{field: {"from": old, "to": new}}` for the fields whose value differs."""
    return {key: {"from": _plain(before.get(key)), "to": _plain(value)}
            for key, value in after.items() if before.get(key) != value}


def record(session: Session, action: str, *, target_type: str, target_id: Any, organisation_id: uuid.UUID | None,
           changes: dict[str, Any] | None = None, actor: Actor | None = None) -> AuditEntry:
    actor = actor or current_actor()
    entry = AuditEntry(id=uuid.uuid4(), at=utcnow(), actor_subject=actor.subject[:64], actor_kind=actor.kind,
                       actor_organisation_id=actor.organisation_id, action=action, target_type=target_type,
                       target_id=str(target_id), organisation_id=organisation_id,
                       changes=redacted(changes or {}))
    session.add(entry)
    return entry
