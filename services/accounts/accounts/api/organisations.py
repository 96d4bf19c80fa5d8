"""`/v1/organisations`: register, list, read, change, deactivate and reactivate organisations."""
from __future__ import annotations

from uuid import UUID

from flask import jsonify
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import require_token
from shared.db import unit_of_work
from shared.paging import as_datetime, keyset_page
from shared.problems import ProblemError, field_error
from shared.web import BEARER

from accounts import organisations
from accounts.api import access
from accounts.api.context import runtime
from accounts.api.schemas import (ERRORS, Organisation, OrganisationCreate, OrganisationPage, OrganisationPatch,
                                  OrganisationPath, OrganisationQuery)
from accounts.models import Organisation as OrganisationRow

tag = Tag(name="organisations", description="The organisations of the network (visible to every authenticated caller)")
bp = APIBlueprint("organisations", __name__, url_prefix="/v1/organisations", abp_tags=[tag], abp_security=BEARER)
require_token(bp)
NOT_NULL = ("name", "type", "municipality_codes", "response_deadline_days")


def to_json(org: OrganisationRow) -> dict:
    return Organisation(
        id=org.id, name={"fi": org.name_fi, "sv": org.name_sv, "en": org.name_en}, type=org.type,
        business_id=org.business_id, municipality_codes=org.municipality_codes, parent_id=org.parent_id,
        active=org.active, response_deadline_days=org.response_deadline_days, version=org.version,
        created_at=org.created_at, updated_at=org.updated_at,
    ).model_dump(mode="json")


def get_or_404(session: Session, organisation_id) -> OrganisationRow:
    org = session.get(OrganisationRow, organisation_id)
    if org is None:
        raise ProblemError(404, "Not Found", "No organisation has this id.", code="not-found")
    return org


@bp.post("", responses={201: Organisation, **ERRORS}, summary="Register an organisation (operator)")
def create(body: OrganisationCreate):
    access.require_operator()
    rt = runtime()
    with unit_of_work(rt.sessions) as session:
        org = organisations.register(rt, session, name=body.name.model_dump(), type=body.type,
                                     business_id=body.business_id, municipality_codes=body.municipality_codes,
                                     parent_id=body.parent_id, response_deadline_days=body.response_deadline_days)
        response = jsonify(to_json(org))
    response.status_code = 201
    response.headers["Location"] = f"/v1/organisations/{org.id}"
    return response


@bp.get("", responses={200: OrganisationPage, **ERRORS},
        summary="List organisations (any authenticated caller), oldest first")
def list_(query: OrganisationQuery):
    statement = select(OrganisationRow)
    if query.type is not None:
        statement = statement.where(OrganisationRow.type == query.type)
    if query.parent_id is not None:
        statement = statement.where(OrganisationRow.parent_id == query.parent_id)
    if query.active is not None:
        statement = statement.where(OrganisationRow.active == query.active)
    with runtime().sessions() as session:
        result = keyset_page(session, statement, (OrganisationRow.created_at, OrganisationRow.id),
                             (as_datetime, UUID), query, convert=to_json)
    return jsonify(result)


@bp.get("/<id>", responses={200: Organisation, **ERRORS}, summary="Read an organisation (any authenticated caller)")
def read(path: OrganisationPath):
    with runtime().sessions() as session:
        return jsonify(to_json(get_or_404(session, path.id)))


@bp.patch("/<id>", responses={200: Organisation, **ERRORS},
          summary="Change an organisation (operator, or its own admin; `type` by an operator only; "
                  "another organisation's caller gets 403)")
def patch(path: OrganisationPath, body: OrganisationPatch):
    changes = body.model_dump(exclude_unset=True)
    for name in NOT_NULL:
        if name in changes and changes[name] is None:
            raise field_error(name, "This field cannot be null.")
    rt = runtime()
    with unit_of_work(rt.sessions) as session:
        org = get_or_404(session, path.id)
        principal = access.require_admin_of(org.id)
        if "type" in changes and changes["type"] != org.type and not principal.is_operator:
            raise ProblemError(403, "Forbidden", "Only an operator may change an organisation's type.",
                               code="forbidden")
        organisations.update(rt, session, org, changes)
        return jsonify(to_json(org))


def _set_active(organisation_id, active: bool):
    access.require_operator()
    rt = runtime()
    with unit_of_work(rt.sessions) as session:
        org = get_or_404(session, organisation_id)
        organisations.set_active(rt, session, org, active)
        return jsonify(to_json(org))


@bp.post("/<id>/deactivate", responses={200: Organisation, **ERRORS},
         summary="Deactivate an organisation (operator): its clients get no tokens; idempotent")
def deactivate(path: OrganisationPath):
    return _set_active(path.id, False)


@bp.post("/<id>/reactivate", responses={200: Organisation, **ERRORS},
         summary="Reactivate an organisation (operator); idempotent")
def reactivate(path: OrganisationPath):
    return _set_active(path.id, True)
