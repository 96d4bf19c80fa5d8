"""Registering and changing organisations; every change bumps `version` and emits an event in
the same transaction, its `sequence` being that version, and writes an audit entry."""
from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from shared.contracts.events import (LocalisedName, OrganisationDeactivated, OrganisationReactivated,
                                     OrganisationRegistered, OrganisationSnapshot, OrganisationUpdated)
from shared.db import utcnow
from shared.problems import field_error
from shared.runtime import ServiceRuntime

from accounts import audit
from accounts.models import Organisation

# How deep an umbrella structure may go; also what stops a cycle search from running forever.
MAX_DEPTH = 10


def snapshot(org: Organisation, event: type[OrganisationSnapshot]) -> OrganisationSnapshot:
    return event(organisation_id=org.id, name=LocalisedName(fi=org.name_fi, sv=org.name_sv, en=org.name_en),
                 type=org.type, business_id=org.business_id, municipality_codes=list(org.municipality_codes),
                 parent_id=org.parent_id, active=org.active, response_deadline_days=org.response_deadline_days,
                 sequence=org.version)


def _emit(runtime: ServiceRuntime, session: Session, org: Organisation, event: type[OrganisationSnapshot]) -> None:
    session.flush()
    runtime.emit(session, snapshot(org, event), subject=str(org.id))


def check_parent(session: Session, organisation_id: uuid.UUID | None, parent_id: uuid.UUID | None) -> None:
    """The parent must exist and must not be the organisation itself or one of its descendants."""
    if parent_id is None:
        return
    parent, depth = session.get(Organisation, parent_id), 0
    if parent is None:
        raise field_error("parent_id", "No organisation has this id.")
    while parent is not None:
        if parent.id == organisation_id:
            raise field_error("parent_id", "An organisation cannot be its own ancestor.")
        depth += 1
        if depth >= MAX_DEPTH:
            raise field_error("parent_id", f"Umbrella structures are at most {MAX_DEPTH} levels deep.")
        parent = session.get(Organisation, parent.parent_id) if parent.parent_id else None


def register(runtime: ServiceRuntime, session: Session, *, name: dict, type: str, business_id: str | None,
             municipality_codes: list[str], parent_id: uuid.UUID | None, response_deadline_days: int) -> Organisation:
    check_parent(session, None, parent_id)
    now = utcnow()
    org = Organisation(id=uuid.uuid4(), name_fi=name["fi"], name_sv=name.get("sv"), name_en=name.get("en"),
                       type=type, business_id=business_id, municipality_codes=municipality_codes,
                       parent_id=parent_id, active=True, response_deadline_days=response_deadline_days,
                       version=1, created_at=now, updated_at=now)
    session.add(org)
    _emit(runtime, session, org, OrganisationRegistered)
    audit.record(session, "organisation.created", target_type="organisation", target_id=org.id, organisation_id=org.id,
                 changes={"name": name, "type": type, "business_id": business_id,
                          "municipality_codes": municipality_codes, "parent_id": parent_id,
                          "response_deadline_days": response_deadline_days})
    return org


def update(runtime: ServiceRuntime, session: Session, org: Organisation, changes: dict) -> bool:
    """Apply the given fields; emits organisation.updated only when something really changed."""
    if "parent_id" in changes:
        check_parent(session, org.id, changes["parent_id"])
    if "name" in changes:
        name = changes.pop("name")
        changes.update(name_fi=name["fi"], name_sv=name.get("sv"), name_en=name.get("en"))
    changed = {key: value for key, value in changes.items() if getattr(org, key) != value}
    if not changed:
        return False
    before = {key: getattr(org, key) for key in changed}
    for key, value in changed.items():
        setattr(org, key, value)
    org.version += 1
    org.updated_at = utcnow()
    _emit(runtime, session, org, OrganisationUpdated)
    audit.record(session, "organisation.updated", target_type="organisation", target_id=org.id,
                 organisation_id=org.id, changes=audit.diff(before, changed))
    return True


def set_active(runtime: ServiceRuntime, session: Session, org: Organisation, active: bool) -> bool:
    """Deactivate or reactivate; doing it twice is not an error and emits nothing the second time."""
    if org.active == active:
        return False
    org.active, org.version, org.updated_at = active, org.version + 1, utcnow()
    _emit(runtime, session, org, OrganisationReactivated if active else OrganisationDeactivated)
    audit.record(session, "organisation.reactivated" if active else "organisation.deactivated",
                 target_type="organisation", target_id=org.id, organisation_id=org.id,
                 changes={"active": {"from": not active, "to": active}})
    return True
