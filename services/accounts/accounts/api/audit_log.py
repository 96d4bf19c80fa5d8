"""`GET /v1/audit-log`: the administrative actions, newest first (operators: all; an
organisation's admin: those on its own organisation)."""
from __future__ import annotations

from uuid import UUID

from flask import jsonify
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import select

from shared.auth import current_principal, forbidden, require_token
from shared.paging import as_datetime, keyset_page
from shared.web import BEARER

from accounts.api import access
from accounts.api.context import runtime
from accounts.api.schemas import ERRORS, AuditPage, AuditQuery
from accounts.models import AuditEntry

tag = Tag(name="audit-log", description="Who changed which organisation, client, directory, person or key, and when")
bp = APIBlueprint("audit_log", __name__, abp_tags=[tag], abp_security=BEARER)
require_token(bp)


def to_json(entry: AuditEntry) -> dict:
    return {"id": str(entry.id), "at": entry.at.isoformat(),
            "actor": {"subject": entry.actor_subject, "kind": entry.actor_kind,
                      "organisation_id": str(entry.actor_organisation_id) if entry.actor_organisation_id else None},
            "action": entry.action, "target_type": entry.target_type, "target_id": entry.target_id,
            "organisation_id": str(entry.organisation_id) if entry.organisation_id else None,
            "changes": entry.changes}


@bp.get("/v1/audit-log", responses={200: AuditPage, **ERRORS},
        summary="Administrative actions, newest first (operator: all, filterable by organisation; an "
                "organisation's admin: its own organisation's)")
def list_(query: AuditQuery):
    principal = current_principal()
    organisation_id = query.organisation_id
    if not principal.is_operator:
        own = UUID(principal.organisation_id) if principal.organisation_id else None
        if own is None or not access.is_admin_of(principal, own):
            raise forbidden("Only an operator or an organisation's admin may read the audit log.")
        if organisation_id is not None and organisation_id != own:
            raise forbidden("An organisation's admin reads its own organisation's audit log only.")
        organisation_id = own
    statement = select(AuditEntry)
    if organisation_id is not None:
        statement = statement.where(AuditEntry.organisation_id == organisation_id)
    if query.action:
        statement = statement.where(AuditEntry.action == query.action)
    with runtime().sessions() as session:
        return jsonify(keyset_page(session, statement, (AuditEntry.at, AuditEntry.id), (as_datetime, UUID), query,
                                   descending=True, convert=to_json))
