"""The service directory: replace an organisation's entries, search them, and the event it emits."""
from __future__ import annotations

import pytest

from shared.contracts.events import OrganisationServicesUpdated
from tests.accounts.conftest import bearer

YOUTH_GUIDANCE = {"name": {"fi": "Nuorten ohjaus", "sv": "Ungdomsvägledning"}, "needs": ["employment", "education"],
                  "age_min": 15, "age_max": 29, "languages": ["fi", "sv"], "municipality_codes": ["245"],
                  "capacity": "open"}
HOUSING = {"name": {"fi": "Asumisneuvonta"}, "needs": ["housing"], "languages": ["fi", "en"],
           "municipality_codes": ["245", "186"], "capacity": "waitlist"}
NATIONWIDE = {"name": {"fi": "Kelan nuorten palvelu"}, "needs": ["finances"], "age_min": 16, "age_max": 29,
              "languages": ["fi", "sv", "en"], "municipality_codes": [], "capacity": "open"}


def put(hub, org_id, entries, headers=None):
    return hub.client.put(f"/v1/organisations/{org_id}/services", json=entries, headers=headers or hub.operator())


def search(hub, headers, **query) -> list[dict]:
    response = hub.client.get("/v1/services", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_replace_then_search_by_need_municipality_language_and_age(hub):
    operator = hub.operator()
    kerava, kela = hub.create_org(), hub.create_org(name={"fi": "Kela"}, type="kela", municipality_codes=[])
    response = put(hub, kerava["id"], [YOUTH_GUIDANCE, HOUSING])
    assert response.status_code == 200, response.json
    assert [entry["name"]["fi"] for entry in response.json["items"]] == ["Nuorten ohjaus", "Asumisneuvonta"]
    assert put(hub, kela["id"], [NATIONWIDE]).status_code == 200

    def names(**query):
        return sorted(entry["name"]["fi"] for entry in search(hub, operator, **query))

    assert names() == ["Asumisneuvonta", "Kelan nuorten palvelu", "Nuorten ohjaus"]
    assert names(need="employment") == ["Nuorten ohjaus"]
    assert names(municipality="186") == ["Asumisneuvonta", "Kelan nuorten palvelu"]  # Kela: the whole country
    assert names(language="sv", municipality="245") == ["Kelan nuorten palvelu", "Nuorten ohjaus"]
    assert names(language="en", need="housing", capacity="waitlist") == ["Asumisneuvonta"]
    assert names(age=30) == ["Asumisneuvonta"]  # no age limits
    assert names(organisation_id=kela["id"]) == ["Kelan nuorten palvelu"]
    entry = search(hub, operator, need="finances")[0]
    assert entry["organisation_id"] == kela["id"] and entry["organisation_name"]["fi"] == "Kela" and entry["id"]


def test_replacing_keeps_named_ids_drops_the_rest_and_emits_capacities(hub):
    org = hub.create_org()
    first = put(hub, org["id"], [YOUTH_GUIDANCE, HOUSING]).json["items"]
    kept = {**YOUTH_GUIDANCE, "id": first[0]["id"], "capacity": "closed"}
    second = put(hub, org["id"], [kept]).json["items"]
    assert [entry["id"] for entry in second] == [first[0]["id"]] and second[0]["capacity"] == "closed"
    assert [entry["id"] for entry in search(hub, hub.operator())] == [first[0]["id"]]

    events = [OrganisationServicesUpdated.model_validate(row["data"]) for row in hub.outbox()
              if row["type"] == "organisation.services_updated"]
    assert [event.sequence for event in events] == [1, 2]
    assert [(str(s.service_id), s.capacity) for s in events[1].services] == [(first[0]["id"], "closed")]
    assert put(hub, org["id"], []).status_code == 200
    assert search(hub, hub.operator()) == []


def test_a_deactivated_organisations_entries_are_not_found(hub):
    operator = hub.operator()
    org = hub.create_org()
    put(hub, org["id"], [YOUTH_GUIDANCE])
    hub.client.post(f"/v1/organisations/{org['id']}/deactivate", headers=operator)
    assert search(hub, operator) == []
    assert put(hub, org["id"], [YOUTH_GUIDANCE]).status_code == 409


def test_an_organisations_admin_client_replaces_its_own_entries_only(hub):
    org, other = hub.create_org(), hub.create_org()
    admin = hub.create_client(org["id"], scopes=("organisations:admin",))
    headers = bearer(hub.token(admin["client_id"], admin["client_secret"]))
    assert put(hub, org["id"], [YOUTH_GUIDANCE], headers).status_code == 200
    assert put(hub, other["id"], [YOUTH_GUIDANCE], headers).status_code == 403
    reader = hub.create_client(other["id"], scopes=("referrals:read",))
    assert len(search(hub, bearer(hub.token(reader["client_id"], reader["client_secret"])))) == 1


@pytest.mark.parametrize("entry, field", [
    ({**YOUTH_GUIDANCE, "needs": ["jobs"]}, "0.needs.0"),
    ({**YOUTH_GUIDANCE, "needs": []}, "0.needs"),
    ({**YOUTH_GUIDANCE, "needs": ["housing", "housing"]}, "0.needs"),
    ({**YOUTH_GUIDANCE, "age_min": 20, "age_max": 18}, "0.age_max"),
    ({**YOUTH_GUIDANCE, "languages": ["Finnish"]}, "0.languages.0"),
    ({**YOUTH_GUIDANCE, "municipality_codes": ["24"]}, "0.municipality_codes.0"),
    ({**YOUTH_GUIDANCE, "capacity": "full"}, "0.capacity"),
    ({**YOUTH_GUIDANCE, "id": "7d3f4c57-8d7e-4b55-9d0e-2f1c8d3a9b10"}, "0.id"),
    ({key: value for key, value in YOUTH_GUIDANCE.items() if key != "name"}, "0.name"),
])
def test_invalid_entries_name_the_field_and_change_nothing(hub, entry, field):
    org = hub.create_org()
    put(hub, org["id"], [HOUSING])
    response = put(hub, org["id"], [entry])
    assert response.status_code == 422, response.json
    assert response.json["errors"][0]["field"] == field
    assert [item["name"]["fi"] for item in search(hub, hub.operator())] == ["Asumisneuvonta"]


def test_search_pages_with_a_cursor_and_refuses_bad_filters(hub):
    operator = hub.operator()
    org = hub.create_org()
    put(hub, org["id"], [{**HOUSING, "name": {"fi": f"Palvelu {n}"}} for n in range(5)])
    first = hub.client.get("/v1/services?limit=3", headers=operator).json
    second = hub.client.get(f"/v1/services?limit=3&cursor={first['next_cursor']}", headers=operator).json
    assert len(first["items"]) == 3 and len(second["items"]) == 2 and second["next_cursor"] is None
    assert {e["id"] for e in first["items"]}.isdisjoint(e["id"] for e in second["items"])
    response = hub.client.get("/v1/services?need=jobs", headers=operator)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "need"
