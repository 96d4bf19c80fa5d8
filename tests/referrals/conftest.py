"""Fixtures of the referrals suite: a migrated SQLite database per test, seeded organisations,
signed tokens for each party, and a valid referral body."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from shared.contracts.envelope import Event
from shared.db import unit_of_work

from referrals.app import create_app
from referrals.bootstrap import build_runtime
from referrals.handlers import HANDLERS
from referrals.models import messaging
from referrals.settings import ReferralsSettings

READ_WRITE = ("referrals:read", "referrals:write")


@pytest.fixture
def settings(tmp_path) -> ReferralsSettings:
    return ReferralsSettings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'referrals.sqlite'}",
                             broker_url=f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}")


@pytest.fixture
def runtime(settings):
    runtime = build_runtime(settings)
    runtime.migrate()
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def app(runtime, tokens):
    return create_app(runtime.settings, verifier=tokens.verifier(), runtime=runtime)


@pytest.fixture
def client(app):
    return app.test_client()


def organisation_event(organisation_id, *, sequence=1, active=True, deadline_days=None, kind="registered",
                       name="Ohjaamo"):
    from shared.contracts import events

    model = {"registered": events.OrganisationRegistered, "updated": events.OrganisationUpdated,
             "deactivated": events.OrganisationDeactivated, "reactivated": events.OrganisationReactivated}[kind]
    data = model(organisation_id=organisation_id, name={"fi": name}, type="ohjaamo", active=active,
                 response_deadline_days=deadline_days, sequence=sequence)
    return Event.of(data, source="/accounts")


def deliver(runtime, event: Event) -> None:
    """Run the inbox handler for `event` as the processor would: in a transaction of its own."""
    with unit_of_work(runtime.sessions) as session:
        HANDLERS[event.type](session, event)


@dataclass
class Parties:
    sender: uuid.UUID
    receiver: uuid.UUID
    third: uuid.UUID


@pytest.fixture
def orgs(runtime) -> Parties:
    parties = Parties(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    for organisation_id in (parties.sender, parties.receiver, parties.third):
        deliver(runtime, organisation_event(organisation_id, deadline_days=10))
    return parties


@pytest.fixture
def as_org(tokens):
    """`as_org(org_id, roles=..., scopes=...)` -> Authorization headers for a caller of that organisation."""
    def headers(organisation_id, *, scopes=READ_WRITE, roles=(), **extra):
        return tokens.headers(org=str(organisation_id) if organisation_id else None, scopes=scopes, roles=roles,
                              **extra)
    return headers


@pytest.fixture
def operator(tokens):
    return tokens.headers(roles=("operator",), scopes=("ops:read",))


def referral_body(to_organisation_id, **changes) -> dict:
    body = {
        "to_organisation_id": str(to_organisation_id),
        "client": {"first_name": "Aino", "last_name": "Testinen", "birth_date": "2004-05-01",
                   "personal_identity_code": "010504A902T", "phone": "+358401234567",
                   "email": "aino@example.org", "language": "fi"},
        "consent": {"given": True, "method": "written", "given_at": "2025-11-20T10:00:00Z", "expires_at": None},
        "needs": ["employment", "housing"], "reason": "Tarvitsee apua asunnon kanssa", "urgency": "normal",
        "responsible_worker": {"name": "Ville Vastuullinen", "phone": "+358501112223", "email": "ville@example.org"},
    }
    for key, value in changes.items():
        body[key] = value
    return body


@pytest.fixture
def sent(client, orgs, as_org) -> dict:
    """A referral sent from `orgs.sender` to `orgs.receiver` (the 201 body)."""
    response = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.sender))
    assert response.status_code == 201, response.json
    return response.json


def outbox_events(runtime, type_: str | None = None) -> list[dict]:
    """The staged events as (type, data) dicts, oldest first."""
    outbox = messaging.outbox
    query = sa.select(outbox.c.type, outbox.c.payload).order_by(outbox.c.position)
    with runtime.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [{"type": row.type, "data": json.loads(row.payload)} for row in rows if type_ in (None, row.type)]


def count_rows(runtime, table: str) -> int:
    with runtime.engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
