"""The service directory: `GET /v1/services` (anyone authenticated) and
`PUT /v1/organisations/{id}/services` (that organisation's admin, or an operator)."""
from __future__ import annotations

from uuid import UUID

from flask import jsonify
from flask_openapi3 import APIBlueprint, Tag
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.auth import require_token
from shared.db import unit_of_work
from shared.paging import as_datetime, keyset_page
from shared.problems import ProblemError
from shared.web import BEARER

from accounts import directory
from accounts.api import access
from accounts.api.context import runtime
from accounts.api.organisations import get_or_404
from accounts.api.schemas import ERRORS, OrganisationPath, ServiceEntries, ServiceList, ServicePage, ServiceQuery
from accounts.models import Organisation, ServiceEntry

tag = Tag(name="services", description="The service directory (Open Referral HSDS-like): who offers what, "
                                       "for whom, and with what capacity")
bp = APIBlueprint("directory", __name__, abp_tags=[tag], abp_security=BEARER)
require_token(bp)


def _name(fi, sv, en) -> dict:
    return {"fi": fi, "sv": sv, "en": en}


def to_json(entries: list[ServiceEntry], session: Session) -> list[dict]:
    ids = {entry.organisation_id for entry in entries}
    orgs = {org.id: org for org in session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids)))} if ids else {}
    return [{
        "id": str(entry.id), "organisation_id": str(entry.organisation_id),
        "organisation_name": _name(orgs[entry.organisation_id].name_fi, orgs[entry.organisation_id].name_sv,
                                   orgs[entry.organisation_id].name_en),
        "name": _name(entry.name_fi, entry.name_sv, entry.name_en), "needs": entry.needs,
        "age_min": entry.age_min, "age_max": entry.age_max, "languages": entry.languages,
        "municipality_codes": entry.municipality_codes, "capacity": entry.capacity,
        "updated_at": entry.updated_at.isoformat(),
    } for entry in entries]


@bp.get("/v1/services", responses={200: ServicePage, **ERRORS},
        summary="Search the service directory (any authenticated caller); only active organisations' entries. "
                "`municipality` also finds entries offered in the whole country")
def search(query: ServiceQuery):
    statement = directory.search(need=query.need, municipality=query.municipality, language=query.language,
                                 capacity=query.capacity, organisation_id=query.organisation_id, age=query.age)
    with runtime().sessions() as session:
        page = keyset_page(session, statement, (ServiceEntry.created_at, ServiceEntry.id), (as_datetime, UUID), query)
        page["items"] = to_json(page["items"], session)
        return jsonify(page)


@bp.put("/v1/organisations/<id>/services", responses={200: ServiceEntries, **ERRORS},
        summary="Replace the organisation's directory entries (operator, or the organisation's admin); "
                "an entry that names its `id` keeps it. Emits organisation.services_updated")
def replace(path: OrganisationPath, body: ServiceList):
    rt = runtime()
    with unit_of_work(rt.sessions) as session:
        org = get_or_404(session, path.id)
        access.require_admin_of(org.id)
        if not org.active:
            raise ProblemError(409, "Conflict", "The organisation is deactivated.", code="organisation-inactive")
        entries = directory.replace(rt, session, org, [entry.model_dump() for entry in body.root])
        return jsonify(items=to_json(entries, session))
