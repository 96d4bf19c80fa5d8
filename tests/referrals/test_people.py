"""The people read model (accounts' person.* events) and what it is for: a deactivated person's
token is refused at once, not only when it expires."""
from __future__ import annotations

import uuid

import pytest

from shared.contracts import events
from shared.contracts.envelope import Event

from referrals.models import Person
from tests.referrals.conftest import READ_WRITE, deliver

MODELS = {"registered": events.PersonRegistered, "updated": events.PersonUpdated,
          "deactivated": events.PersonDeactivated, "reactivated": events.PersonReactivated}


def person_event(person_id, organisation_id, *, sequence: int, kind: str = "registered", active: bool = True,
                 role: str = "counsellor") -> Event:
    data = MODELS[kind](person_id=person_id, organisation_id=organisation_id, role=role, active=active,
                        sequence=sequence)
    return Event.of(data, source="/accounts", subject=str(person_id))


def stored(runtime, person_id) -> tuple | None:
    with runtime.sessions() as session:
        person = session.get(Person, person_id)
        return None if person is None else (person.organisation_id, person.role, person.active, person.sequence)


def test_person_events_keep_the_latest_state_and_ignore_stale_ones(runtime, orgs):
    person_id = uuid.uuid4()
    deliver(runtime, person_event(person_id, orgs.sender, sequence=1))
    assert stored(runtime, person_id) == (orgs.sender, "counsellor", True, 1)
    deliver(runtime, person_event(person_id, orgs.sender, sequence=3, kind="deactivated", active=False,
                                  role="org_admin"))
    deliver(runtime, person_event(person_id, orgs.sender, sequence=2, kind="updated", role="org_admin"))  # late
    deliver(runtime, person_event(person_id, orgs.sender, sequence=3, kind="reactivated"))  # same sequence
    assert stored(runtime, person_id) == (orgs.sender, "org_admin", False, 3)
    deliver(runtime, person_event(person_id, orgs.sender, sequence=4, kind="reactivated", role="org_admin"))
    assert stored(runtime, person_id) == (orgs.sender, "org_admin", True, 4)
    operator_id = uuid.uuid4()
    deliver(runtime, person_event(operator_id, None, sequence=2, kind="deactivated", active=False, role="operator"))
    assert stored(runtime, operator_id) == (None, "operator", False, 2)  # first seen already deactivated


@pytest.fixture
def person_token(tokens):
    """Authorization headers of a person's token (no client_id, sub = the person's id), as accounts issues."""
    def headers(person_id, organisation_id, role="counsellor"):
        return tokens.headers(sub=str(person_id), org=str(organisation_id) if organisation_id else None,
                              roles=(role,), scopes=READ_WRITE if role != "operator" else ("ops:read",),
                              client_id=None, amr=["pwd", "otp"], azp="referrals-web")
    return headers


def test_a_deactivated_persons_token_is_refused_at_once(client, runtime, orgs, person_token, tokens):
    person_id, colleague_id = uuid.uuid4(), uuid.uuid4()
    headers, colleague = person_token(person_id, orgs.sender), person_token(colleague_id, orgs.sender)
    unseen = person_token(uuid.uuid4(), orgs.sender)
    for person in (person_id, colleague_id):
        deliver(runtime, person_event(person, orgs.sender, sequence=1))
    assert client.get("/v1/referrals", headers=headers).status_code == 200

    deliver(runtime, person_event(person_id, orgs.sender, sequence=2, kind="deactivated", active=False))
    refused = client.get("/v1/referrals", headers=headers)
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert refused.json["type"].endswith("/unauthorized") and "revoked" in refused.json["detail"]
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/v1/referrals", headers=colleague).status_code == 200
    # Not seen yet (events may lag behind a first sign-in): accepted.
    assert client.get("/v1/referrals", headers=unseen).status_code == 200
    # A client's token is a client's, whatever its sub: the person denylist does not touch it.
    client_token = tokens.headers(sub=str(person_id), org=str(orgs.sender), scopes=READ_WRITE)
    assert client.get("/v1/referrals", headers=client_token).status_code == 200

    deliver(runtime, person_event(person_id, orgs.sender, sequence=3, kind="reactivated"))
    assert client.get("/v1/referrals", headers=headers).status_code == 200


def test_a_deactivated_operators_token_is_refused(client, runtime, person_token):
    operator_id = uuid.uuid4()
    headers = person_token(operator_id, None, role="operator")
    assert client.get("/v1/statistics", headers=headers).status_code == 200
    deliver(runtime, person_event(operator_id, None, sequence=2, kind="deactivated", active=False, role="operator"))
    assert client.get("/v1/statistics", headers=headers).status_code == 401
