"""Organisations: register, list, read, change, deactivate; each change an event in the outbox."""
from __future__ import annotations

import uuid

import pytest

from shared.contracts.events import EVENT_TYPES
from tests.accounts.conftest import INVALID_YTUNNUS, VALID_YTUNNUS


def assert_event(row: dict, event_type: str, org: dict) -> None:
    """The outbox row is of this type, validates against its model and mirrors the organisation."""
    assert row["type"] == event_type and row["subject"] == org["id"]
    data = EVENT_TYPES[event_type].model_validate(row["data"])
    assert str(data.organisation_id) == org["id"]
    assert data.sequence == org["version"] and data.active == org["active"]
    assert data.name.fi == org["name"]["fi"] and data.type == org["type"]


def test_register_read_list_patch_deactivate_reactivate_with_events(hub):
    operator = hub.operator()
    umbrella = hub.create_org(name={"fi": "Ohjaamo Keski-Uusimaa"}, business_id=VALID_YTUNNUS)
    assert umbrella["version"] == 1 and umbrella["active"] and umbrella["response_deadline_days"] == 14
    assert umbrella["business_id"] == VALID_YTUNNUS
    local = hub.create_org(parent_id=umbrella["id"], municipality_codes=["245", "186"])
    assert local["parent_id"] == umbrella["id"]
    assert hub.client.get(f"/v1/organisations/{local['id']}", headers=operator).json == local
    listed = hub.client.get("/v1/organisations", headers=operator).json
    assert [item["id"] for item in listed["items"]] == [umbrella["id"], local["id"]]
    assert listed["next_cursor"] is None

    patched = hub.client.patch(f"/v1/organisations/{local['id']}", headers=operator,
                               json={"response_deadline_days": 7, "name": {"fi": "Ohjaamo Kerava", "en": "Ohjaamo Kerava EN"}})
    assert patched.status_code == 200, patched.json
    assert patched.json["version"] == 2 and patched.json["response_deadline_days"] == 7
    assert patched.json["name"]["en"] == "Ohjaamo Kerava EN"
    deactivated = hub.client.post(f"/v1/organisations/{local['id']}/deactivate", headers=operator).json
    assert deactivated["active"] is False and deactivated["version"] == 3
    again = hub.client.post(f"/v1/organisations/{local['id']}/deactivate", headers=operator).json
    assert again["version"] == 3  # idempotent: no new version, no new event
    reactivated = hub.client.post(f"/v1/organisations/{local['id']}/reactivate", headers=operator).json
    assert reactivated["active"] is True and reactivated["version"] == 4

    rows = hub.outbox()
    assert [row["type"] for row in rows] == ["organisation.registered", "organisation.registered",
                                             "organisation.updated", "organisation.deactivated",
                                             "organisation.reactivated"]
    assert_event(rows[0], "organisation.registered", umbrella)
    assert_event(rows[1], "organisation.registered", local)
    assert_event(rows[2], "organisation.updated", patched.json)
    assert_event(rows[3], "organisation.deactivated", deactivated)
    assert_event(rows[4], "organisation.reactivated", reactivated)
    assert rows[2]["data"]["response_deadline_days"] == 7


def test_patch_without_changes_emits_nothing_and_can_clear_nullable_fields(hub):
    operator = hub.operator()
    org = hub.create_org(business_id=VALID_YTUNNUS)
    same = hub.client.patch(f"/v1/organisations/{org['id']}", headers=operator, json={"type": "ohjaamo"})
    assert same.json["version"] == 1 and len(hub.outbox()) == 1
    cleared = hub.client.patch(f"/v1/organisations/{org['id']}", headers=operator, json={"business_id": None})
    assert cleared.json["business_id"] is None and cleared.json["version"] == 2


@pytest.mark.parametrize("fields, field", [
    ({"business_id": INVALID_YTUNNUS}, "business_id"),
    ({"municipality_codes": ["24"]}, "municipality_codes.0"),
    ({"municipality_codes": ["245", "abc"]}, "municipality_codes.1"),
    ({"parent_id": str(uuid.uuid4())}, "parent_id"),
    ({"type": "bank"}, "type"),
    ({"name": {"fi": ""}}, "name.fi"),
    ({"name": {"sv": "Ohjaamo"}}, "name.fi"),
    ({"colour": "red"}, "colour"),
])
def test_invalid_registration_names_the_field_and_writes_nothing(hub, fields, field):
    body = {"name": {"fi": "Ohjaamo"}, "type": "ohjaamo", **fields}
    response = hub.client.post("/v1/organisations", json=body, headers=hub.operator())
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in [error["field"] for error in response.json["errors"]]
    assert hub.count("organisations") == 0 and hub.count("outbox") == 0


def test_invalid_patch_names_the_field_and_changes_nothing(hub):
    operator = hub.operator()
    org = hub.create_org()
    for body, field in (({"business_id": INVALID_YTUNNUS}, "business_id"), ({"parent_id": org["id"]}, "parent_id"),
                        ({"name": None}, "name"), ({"response_deadline_days": 0}, "response_deadline_days")):
        response = hub.client.patch(f"/v1/organisations/{org['id']}", json=body, headers=operator)
        assert response.status_code == 422, body
        assert response.json["errors"][0]["field"] == field
    assert hub.client.get(f"/v1/organisations/{org['id']}", headers=operator).json == org
    assert hub.count("outbox") == 1


def test_a_parent_cannot_become_its_descendants_child(hub):
    operator = hub.operator()
    parent = hub.create_org()
    child = hub.create_org(parent_id=parent["id"])
    response = hub.client.patch(f"/v1/organisations/{parent['id']}", json={"parent_id": child["id"]}, headers=operator)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "parent_id"


def test_list_pages_with_a_cursor_and_filters(hub):
    operator = hub.operator()
    created = [hub.create_org(headers=operator, type="ngo" if i % 2 else "ohjaamo")["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = hub.client.get("/v1/organisations", query_string=params, headers=operator).json
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    ngos = hub.client.get("/v1/organisations", query_string={"type": "ngo"}, headers=operator).json["items"]
    assert [item["id"] for item in ngos] == created[1::2]


@pytest.mark.parametrize("params, field", [({"cursor": "garbage"}, "cursor"), ({"limit": 0}, "limit"),
                                           ({"limit": 201}, "limit")])
def test_bad_list_parameters_are_422(hub, params, field):
    response = hub.client.get("/v1/organisations", query_string=params, headers=hub.operator())
    assert response.status_code == 422 and response.json["errors"][0]["field"] == field


@pytest.mark.parametrize("path, status", [("/v1/organisations/not-a-uuid", 422),
                                          (f"/v1/organisations/{uuid.uuid4()}", 404)])
def test_unknown_or_malformed_ids(hub, path, status):
    assert hub.client.get(path, headers=hub.operator()).status_code == status
