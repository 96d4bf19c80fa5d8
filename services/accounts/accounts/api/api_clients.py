"""`/v1/organisations/{id}/api-clients`: an organisation's system credentials.

The secret is shown once (on creation and rotation) and stored argon2-hashed. Revoking emits
`api_client.revoked` so that the other services refuse the client's tokens still in flight.
"""
from __future__ import annotations

from flask import Response, jsonify
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import require_token
from shared.db import unit_of_work
from shared.paging import PageQuery, as_datetime, keyset_page
from shared.problems import ProblemError, field_error
from shared.web import BEARER

from accounts import clients
from accounts.api import access
from accounts.api.context import runtime
from accounts.api.organisations import get_or_404
from accounts.api.schemas import (ERRORS, ApiClient, ApiClientCreate, ApiClientCredentials, ApiClientPage, ApiClientPath,
                                  OrganisationPath)
from accounts.models import ApiClient as ApiClientRow

tag = Tag(name="api-clients", description="An organisation's API clients (operator or that organisation's admin)")
bp = APIBlueprint("api_clients", __name__, url_prefix="/v1/organisations/<id>/api-clients", abp_tags=[tag],
                  abp_security=BEARER)
require_token(bp)
# Scopes only the operator's own clients carry.
OPERATOR_ONLY_SCOPES = {"ops:read"}


def text_key(value) -> str:
    """A client id from a cursor; PostgreSQL refuses NUL in text, so such a cursor is not ours (422)."""
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError("not a client id")
    return value


def to_json(client: ApiClientRow) -> dict:
    return ApiClient(client_id=client.client_id, name=client.name, organisation_id=client.organisation_id,
                     scopes=client.scopes, created_at=client.created_at, secret_rotated_at=client.secret_rotated_at,
                     revoked_at=client.revoked_at).model_dump(mode="json")


def credentials_json(client: ApiClientRow, secret: str) -> dict:
    return ApiClientCredentials(client_id=client.client_id, client_secret=secret, name=client.name,
                                scopes=client.scopes, created_at=client.created_at).model_dump(mode="json")


def _organisation_for_admin(session: Session, organisation_id):
    org = get_or_404(session, organisation_id)
    access.require_admin_of(org.id)
    return org


def _client_or_404(session: Session, path: ApiClientPath) -> ApiClientRow:
    _organisation_for_admin(session, path.id)
    client = session.get(ApiClientRow, path.client_id)
    if client is None or client.organisation_id != path.id:
        raise ProblemError(404, "Not Found", "This organisation has no API client with this id.", code="not-found")
    return client


@bp.post("", responses={201: ApiClientCredentials, **ERRORS},
         summary="Create an API client (operator or the organisation's admin); the secret is shown only here")
def create(path: OrganisationPath, body: ApiClientCreate):
    rt = runtime()
    with unit_of_work(rt.sessions) as session:
        org = _organisation_for_admin(session, path.id)
        for index, scope in enumerate(body.scopes):
            if scope in OPERATOR_ONLY_SCOPES:
                raise field_error(f"scopes.{index}", f"{scope} is for the operator's own clients only.")
        if not org.active:
            raise ProblemError(409, "Conflict", "The organisation is deactivated.", code="organisation-inactive")
        credentials = clients.create_client(session, name=body.name, organisation_id=org.id,
                                            scopes=sorted(set(body.scopes)))
        response = jsonify(credentials_json(credentials.client, credentials.secret))
    response.status_code = 201
    return response


@bp.get("", responses={200: ApiClientPage, **ERRORS},
        summary="List the organisation's API clients, revoked ones included (operator or the organisation's admin)")
def list_(path: OrganisationPath, query: PageQuery):
    with runtime().sessions() as session:
        _organisation_for_admin(session, path.id)
        statement = select(ApiClientRow).where(ApiClientRow.organisation_id == path.id)
        return jsonify(keyset_page(session, statement, (ApiClientRow.created_at, ApiClientRow.client_id),
                                   (as_datetime, text_key), query, convert=to_json))


@bp.delete("/<client_id>", responses={204: None, **ERRORS},
           summary="Revoke an API client (operator or the organisation's admin): no new tokens, and its "
                   "issued tokens are refused; a client id of another organisation answers 404")
def revoke(path: ApiClientPath):
    rt = runtime()
    with unit_of_work(rt.sessions) as session:
        clients.revoke(rt, session, _client_or_404(session, path))
    return Response(status=204)


@bp.post("/<client_id>/rotate-secret", responses={200: ApiClientCredentials, **ERRORS},
         summary="Give an API client a new secret, shown only here; the old one stops working at once "
                 "(tokens already issued stay valid until they expire)")
def rotate_secret(path: ApiClientPath):
    with unit_of_work(runtime().sessions) as session:
        client = _client_or_404(session, path)
        if client.revoked_at is not None:
            raise ProblemError(409, "Conflict", "The API client is revoked.", code="client-revoked")
        secret = clients.rotate_secret(session, client)
        return jsonify(credentials_json(client, secret))
