"""The service directory (modelled on Open Referral HSDS): what each organisation offers, for whom,
and whether it has room now. An organisation replaces its whole list at once; an entry keeps its
id when the new list names it, so referrals can keep pointing at it.
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.contracts.events import OrganisationServicesUpdated, ServiceCapacity
from shared.db import utcnow
from shared.problems import field_error
from shared.runtime import ServiceRuntime

from accounts import audit
from accounts.models import Organisation, ServiceEntry, ServiceFacet

#: Searchable facet -> the entry's list it comes from.
FACETS = {"need": "needs", "language": "languages", "municipality": "municipality_codes"}
#: The facet value of an entry without municipalities: it serves the whole country.
EVERYWHERE = "*"
FIELDS = ("needs", "age_min", "age_max", "languages", "municipality_codes", "capacity")


def facets_of(entry: ServiceEntry) -> set[tuple[str, str]]:
    values = {(kind, value) for kind, attribute in FACETS.items() for value in getattr(entry, attribute)}
    if not entry.municipality_codes:
        values.add(("municipality", EVERYWHERE))
    return values


def entries_of(session: Session, organisation_id: uuid.UUID) -> list[ServiceEntry]:
    return list(session.scalars(sa.select(ServiceEntry).where(ServiceEntry.organisation_id == organisation_id)
                                .order_by(ServiceEntry.position)))


def replace(runtime: ServiceRuntime, session: Session, org: Organisation, entries: list[dict]) -> list[ServiceEntry]:
    """Make `entries` the organisation's directory; emits `organisation.services_updated`."""
    existing = {entry.id: entry for entry in entries_of(session, org.id)}
    for index, entry in enumerate(entries):
        if entry.get("id") is not None and entry["id"] not in existing:
            raise field_error(f"{index}.id", "Not one of this organisation's entries (leave it out for a new entry).")
    kept = {entry["id"] for entry in entries if entry.get("id") is not None}
    removed = [entry_id for entry_id in existing if entry_id not in kept]
    if removed:
        session.execute(sa.delete(ServiceFacet).where(ServiceFacet.service_id.in_(removed)))
        session.execute(sa.delete(ServiceEntry).where(ServiceEntry.id.in_(removed)))
    now, result, added, changed = utcnow(), [], [], []
    for position, fields in enumerate(entries):
        row = existing.get(fields.get("id")) if fields.get("id") is not None else None
        if row is None:
            row = ServiceEntry(id=uuid.uuid4(), organisation_id=org.id, created_at=now)
            session.add(row)
            added.append(row.id)
        name = fields["name"]
        values = dict(name_fi=name["fi"], name_sv=name.get("sv"), name_en=name.get("en"),
                      **{key: fields.get(key) for key in FIELDS}, position=position)
        if row.id not in added and any(getattr(row, key) != value for key, value in values.items() if key != "position"):
            changed.append(row.id)
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = now if (row.id in added or row.id in changed) else row.updated_at
        result.append(row)
    session.flush()
    _store_facets(session, result)
    org.services_version += 1
    runtime.emit(session, OrganisationServicesUpdated(
        organisation_id=org.id, sequence=org.services_version,
        services=[ServiceCapacity(service_id=row.id, needs=row.needs, capacity=row.capacity) for row in result],
    ), subject=str(org.id))
    audit.record(session, "organisation.services_replaced", target_type="organisation", target_id=org.id,
                 organisation_id=org.id, changes={"added": added, "changed": changed, "removed": removed})
    return result


def _store_facets(session: Session, entries: list[ServiceEntry]) -> None:
    ids = [entry.id for entry in entries]
    if ids:
        session.execute(sa.delete(ServiceFacet).where(ServiceFacet.service_id.in_(ids)))
    session.add_all(ServiceFacet(service_id=entry.id, kind=kind, value=value)
                    for entry in entries for kind, value in sorted(facets_of(entry)))
    session.flush()


def search(*, need: str | None, municipality: str | None, language: str | None, capacity: str | None,
           organisation_id: uuid.UUID | None, age: int | None) -> sa.Select:
    """Entries of active organisations matching every given filter (a statement to page)."""
    statement = (sa.select(ServiceEntry)
                 .join(Organisation, Organisation.id == ServiceEntry.organisation_id)
                 .where(Organisation.active.is_(True)))
    for kind, values in (("need", [need]), ("language", [language]), ("municipality", [municipality, EVERYWHERE])):
        if values[0] is not None:
            statement = statement.where(sa.exists().where(
                ServiceFacet.service_id == ServiceEntry.id, ServiceFacet.kind == kind, ServiceFacet.value.in_(values)))
    if capacity is not None:
        statement = statement.where(ServiceEntry.capacity == capacity)
    if organisation_id is not None:
        statement = statement.where(ServiceEntry.organisation_id == organisation_id)
    if age is not None:
        statement = statement.where(sa.or_(ServiceEntry.age_min.is_(None), ServiceEntry.age_min <= age),
                                    sa.or_(ServiceEntry.age_max.is_(None), ServiceEntry.age_max >= age))
    return statement
