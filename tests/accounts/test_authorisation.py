"""Who may call what: every accounts endpoint × operator, org admin, counsellor, another
organisation's API client, an API client of the organisation without admin scope, no token."""
from __future__ import annotations

import pytest

from accounts import clients, organisations, people
from shared.db import unit_of_work

# "ORG" / "OTHER" stand for the two organisations' ids, known once they are registered.
CALLERS = {
    "operator": dict(roles=("operator",), scopes=("organisations:admin", "ops:read")),
    "org_admin": dict(org="ORG", roles=("org_admin",)),
    "admin_client": dict(org="ORG", scopes=("organisations:admin",)),
    "counsellor": dict(org="ORG", roles=("counsellor",), scopes=("referrals:read", "referrals:write")),
    "own_client": dict(org="ORG", scopes=("referrals:read", "referrals:write")),
    "other_client": dict(org="OTHER", scopes=("organisations:admin", "referrals:read")),
    "no_token": None,
}
# endpoint -> expected status per caller, in CALLERS' order
MATRIX = {
    ("POST", "/v1/organisations"):                         (201, 403, 403, 403, 403, 403, 401),
    ("GET", "/v1/organisations"):                          (200, 200, 200, 200, 200, 200, 401),
    ("GET", "/v1/organisations/{org}"):                    (200, 200, 200, 200, 200, 200, 401),
    ("PATCH", "/v1/organisations/{org}"):                  (200, 200, 200, 403, 403, 403, 401),
    ("PATCH type", "/v1/organisations/{org}"):             (200, 403, 403, 403, 403, 403, 401),
    ("POST", "/v1/organisations/{org}/deactivate"):        (200, 403, 403, 403, 403, 403, 401),
    ("POST", "/v1/organisations/{org}/reactivate"):        (200, 403, 403, 403, 403, 403, 401),
    ("POST", "/v1/organisations/{org}/api-clients"):       (201, 201, 201, 403, 403, 403, 401),
    ("GET", "/v1/organisations/{org}/api-clients"):        (200, 200, 200, 403, 403, 403, 401),
    ("DELETE", "/v1/organisations/{org}/api-clients/{client}"): (204, 204, 204, 403, 403, 403, 401),
    ("POST", "/v1/organisations/{org}/api-clients/{client}/rotate-secret"): (200, 200, 200, 403, 403, 403, 401),
    ("DELETE", "/v1/organisations/{org}/api-clients/{other_client}"): (404, 404, 404, 403, 403, 403, 401),
    ("GET", "/v1/services"):                               (200, 200, 200, 200, 200, 200, 401),
    ("PUT", "/v1/organisations/{org}/services"):           (200, 200, 200, 403, 403, 403, 401),
    # another organisation's admin client reads its own organisation's entries, never ORG's
    ("GET", "/v1/audit-log"):                              (200, 200, 200, 403, 403, 200, 401),
    ("GET", "/v1/audit-log?organisation_id={org}"):        (200, 200, 200, 403, 403, 403, 401),
    ("GET", "/v1/organisations/{org}/people"):             (200, 200, 200, 403, 403, 403, 401),
    ("POST", "/v1/organisations/{org}/people"):            (201, 201, 201, 403, 403, 403, 401),
    ("PATCH", "/v1/organisations/{org}/people/{person}"):  (200, 200, 200, 403, 403, 403, 401),
    ("POST", "/v1/organisations/{org}/people/{person}/invitation"): (201, 201, 201, 403, 403, 403, 401),
    ("PATCH", "/v1/organisations/{org}/people/{other_person}"): (404, 404, 404, 403, 403, 403, 401),
    ("GET", "/v1/operators"):                              (200, 403, 403, 403, 403, 403, 401),
    ("POST", "/v1/operators"):                             (201, 403, 403, 403, 403, 403, 401),
    ("POST", "/v1/operators/{operator_person}/invitation"): (201, 403, 403, 403, 403, 403, 401),
}
BODIES = {
    ("POST", "/v1/organisations"): {"name": {"fi": "Uusi"}, "type": "ngo"},
    ("PATCH", "/v1/organisations/{org}"): {"response_deadline_days": 10},
    ("PATCH type", "/v1/organisations/{org}"): {"type": "municipality"},
    ("POST", "/v1/organisations/{org}/api-clients"): {"name": "CRM", "scopes": ["referrals:read"]},
    ("PUT", "/v1/organisations/{org}/services"): [{"name": {"fi": "Ohjaus"}, "needs": ["employment"],
                                                   "languages": ["fi"], "capacity": "open"}],
    ("POST", "/v1/organisations/{org}/people"): {"username": "uusi.ohjaaja", "name": "Uusi", "role": "counsellor"},
    ("PATCH", "/v1/organisations/{org}/people/{person}"): {"role": "org_admin"},
    ("PATCH", "/v1/organisations/{org}/people/{other_person}"): {"role": "org_admin"},
    ("POST", "/v1/operators"): {"username": "uusi.operaattori", "name": "Uusi"},
}


@pytest.fixture
def world(test_token_hub):
    """Two registered organisations, each with one API client."""
    runtime, ids = test_token_hub.runtime, {}
    with unit_of_work(runtime.sessions) as session:
        for key in ("ORG", "OTHER"):
            org = organisations.register(runtime, session, name={"fi": key}, type="ohjaamo", business_id=None,
                                         municipality_codes=[], parent_id=None, response_deadline_days=14)
            ids[key] = str(org.id)
            ids[key + "_client"] = clients.create_client(session, name=key, organisation_id=org.id,
                                                         scopes=["referrals:read"]).client.client_id
            ids[key + "_person"] = str(people.add_person(runtime, session, organisation_id=org.id,
                                                         role="counsellor", username=f"{key.lower()}.ohjaaja",
                                                         name=key).id)
        ids["operator_person"] = str(people.add_person(runtime, session, organisation_id=None, role="operator",
                                                       username="operaattori", name="Operaattori").id)
    return test_token_hub, ids


@pytest.mark.parametrize("endpoint", list(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
@pytest.mark.parametrize("caller", list(CALLERS))
def test_matrix(world, tokens, endpoint, caller):
    hub, ids = world
    method, template = endpoint
    expected = MATRIX[endpoint][list(CALLERS).index(caller)]
    path = template.format(org=ids["ORG"], client=ids["ORG_client"], other_client=ids["OTHER_client"],
                           person=ids["ORG_person"], other_person=ids["OTHER_person"],
                           operator_person=ids["operator_person"])
    claims = dict(CALLERS[caller] or {})
    if "org" in claims:
        claims["org"] = ids[claims["org"]]
    headers = tokens.headers(**claims) if CALLERS[caller] else {}
    response = hub.client.open(path, method=method.split()[0], json=BODIES.get(endpoint), headers=headers)
    assert response.status_code == expected, (caller, endpoint, response.json)
    if expected >= 400:
        assert response.mimetype == "application/problem+json"
