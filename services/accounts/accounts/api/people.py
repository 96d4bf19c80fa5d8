"""People who sign in: `/v1/organisations/{id}/people` (that organisation's admin or an operator)
and `/v1/operators` (operators only).

Creating a person answers with a one-time invitation link (shown only here) where they set a
password and enrol TOTP; `POST .../invitation` issues a new link (a forgotten password or a lost
phone: the new password and key replace the old ones when the link is used). Role changes and
deactivation are audited and emitted as `person.*` events; deactivating ends the person's sessions,
and accounts refuses their tokens at once (referrals as soon as the event reaches it).
"""
from __future__ import annotations

from uuid import UUID

from flask import jsonify
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.auth import require_token
from shared.db import unit_of_work
from shared.paging import PageQuery, as_datetime, keyset_page
from shared.problems import ProblemError
from shared.web import BEARER

from accounts import audit, people, signin
from accounts.api import access
from accounts.api.context import runtime
from accounts.api.organisations import get_or_404
from accounts.api.schemas import (ERRORS, OperatorCreate, OperatorPath, OrganisationPath, Person, PersonCreate,
                                  PersonInvited, PersonPage, PersonPatch, PersonPath)
from accounts.models import Person as PersonRow

tag = Tag(name="people", description="Counsellors, organisation admins and operators who sign in to the web forms")
bp = APIBlueprint("people", __name__, abp_tags=[tag], abp_security=BEARER)
require_token(bp)


def to_json(person: PersonRow) -> dict:
    return Person(id=person.id, organisation_id=person.organisation_id, username=person.username, name=person.name,
                  role=person.role, active=person.active, enrolled=person.totp_secret is not None,
                  locked_until=person.locked_until if people.locked(person) else None,
                  created_at=person.created_at).model_dump(mode="json")


def _invited(session: Session, person: PersonRow) -> dict:
    invitation = people.invite(session, person)
    url = f"{runtime().settings.accounts_url.rstrip('/')}/invitations/{invitation.token}"
    return {**to_json(person), "invitation_url": url, "invitation_expires_at": invitation.expires_at.isoformat()}


def _create(organisation_id: UUID | None, role: str, username: str, name: str):
    try:
        with unit_of_work(runtime().sessions) as session:
            if organisation_id is not None:
                org = get_or_404(session, organisation_id)
                access.require_admin_of(org.id)
                if not org.active:
                    raise ProblemError(409, "Conflict", "The organisation is deactivated.", code="organisation-inactive")
            else:
                access.require_operator()
            if session.scalar(select(PersonRow.id).where(PersonRow.username == username)):
                raise _taken()
            person = people.add_person(runtime(), session, organisation_id=organisation_id, role=role,
                                       username=username, name=name)
            body = _invited(session, person)
    except IntegrityError:  # the same username created by a concurrent request
        raise _taken() from None
    response = jsonify(body)
    response.status_code = 201
    return response


def _taken() -> ProblemError:
    return ProblemError(409, "Conflict", "This username is taken.", code="username-taken",
                        errors=[{"field": "username", "message": "This username is taken."}])


def _person_or_404(session: Session, organisation_id: UUID | None, person_id: UUID) -> PersonRow:
    person = session.get(PersonRow, person_id)
    if person is None or person.organisation_id != organisation_id:
        raise ProblemError(404, "Not Found", "No such person here.", code="not-found")
    return person


def _list(organisation_id: UUID | None, query: PageQuery):
    statement = select(PersonRow).where(PersonRow.organisation_id == organisation_id if organisation_id
                                        else PersonRow.organisation_id.is_(None))
    with runtime().sessions() as session:
        return jsonify(keyset_page(session, statement, (PersonRow.created_at, PersonRow.id), (as_datetime, UUID),
                                   query, convert=to_json))


# -- an organisation's people --------------------------------------------------------------------

@bp.get("/v1/organisations/<id>/people", responses={200: PersonPage, **ERRORS},
        summary="List the organisation's people (operator or the organisation's admin)")
def list_people(path: OrganisationPath, query: PageQuery):
    with runtime().sessions() as session:
        access.require_admin_of(get_or_404(session, path.id).id)
    return _list(path.id, query)


@bp.post("/v1/organisations/<id>/people", responses={201: PersonInvited, **ERRORS},
         summary="Invite a counsellor or an admin (operator or the organisation's admin); the one-time "
                 "invitation link is shown only here")
def invite_person(path: OrganisationPath, body: PersonCreate):
    return _create(path.id, body.role, body.username, body.name)


@bp.patch("/v1/organisations/<id>/people/<person_id>", responses={200: Person, **ERRORS},
          summary="Change a person's role or deactivate/reactivate them (operator or the organisation's admin)")
def change_person(path: PersonPath, body: PersonPatch):
    with unit_of_work(runtime().sessions) as session:
        access.require_admin_of(get_or_404(session, path.id).id)
        person = _person_or_404(session, path.id, path.person_id)
        changed = False
        if body.role is not None:
            changed |= people.change_role(runtime(), session, person, body.role)
        if body.active is not None:
            changed |= people.set_active(runtime(), session, person, body.active)
        if changed:
            signin.end_all(session, person.id)  # new rights take effect at the next sign-in
        return jsonify(to_json(person))


@bp.post("/v1/organisations/<id>/people/<person_id>/invitation", responses={201: PersonInvited, **ERRORS},
         summary="A new one-time link to set a new password and second factor (operator or the organisation's "
                 "admin); earlier links stop working")
def reinvite_person(path: PersonPath):
    with unit_of_work(runtime().sessions) as session:
        access.require_admin_of(get_or_404(session, path.id).id)
        person = _person_or_404(session, path.id, path.person_id)
        audit.record(session, "person.reinvited", target_type="person", target_id=person.id,
                     organisation_id=person.organisation_id)
        response = jsonify(_invited(session, person))
    response.status_code = 201
    return response


# -- operators -----------------------------------------------------------------------------------

@bp.get("/v1/operators", responses={200: PersonPage, **ERRORS}, summary="List the hub's operators (operator)")
def list_operators(query: PageQuery):
    access.require_operator()
    return _list(None, query)


@bp.post("/v1/operators", responses={201: PersonInvited, **ERRORS},
         summary="Invite an operator (operator); the one-time invitation link is shown only here")
def invite_operator(body: OperatorCreate):
    return _create(None, "operator", body.username, body.name)


@bp.post("/v1/operators/<person_id>/invitation", responses={201: PersonInvited, **ERRORS},
         summary="A new one-time link for an operator (operator)")
def reinvite_operator(path: OperatorPath):
    access.require_operator()
    with unit_of_work(runtime().sessions) as session:
        person = _person_or_404(session, None, path.person_id)
        audit.record(session, "person.reinvited", target_type="person", target_id=person.id, organisation_id=None)
        response = jsonify(_invited(session, person))
    response.status_code = 201
    return response
