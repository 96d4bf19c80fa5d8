"""People's events: every path that creates a person emits person.registered, a role change
person.updated, the active flag person.deactivated/reactivated; each in the change's transaction,
with the person's version as its sequence, and never a name or username."""
from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from accounts import demo
from accounts.keys import KeyStore
from accounts.models import Organisation
from accounts.runtime import build_runtime
from shared import migrations
from shared.contracts.events import EVENT_TYPES
from shared.db import UTCDateTime, utcnow
from tests.accounts.conftest import make_settings

SNAPSHOT_FIELDS = {"person_id", "organisation_id", "role", "active", "sequence"}


def person_events(hub) -> list[dict]:
    return [row for row in hub.outbox() if row["type"].startswith("person.")]


def assert_person_event(row: dict, event_type: str, *, person_id: str, organisation_id: str | None, role: str,
                        active: bool, sequence: int, never: tuple[str, ...] = ()) -> None:
    """The row is of this type, validates against its model, mirrors the person and holds only ids,
    role, active and sequence: none of the `never` values (names, usernames) anywhere."""
    assert row["type"] == event_type and row["subject"] == person_id and row["source"] == "/accounts"
    assert set(row["data"]) == SNAPSHOT_FIELDS
    data = EVENT_TYPES[event_type].model_validate(row["data"])
    assert str(data.person_id) == person_id
    assert (str(data.organisation_id) if data.organisation_id else None) == organisation_id
    assert (data.role, data.active, data.sequence) == (role, active, sequence)
    for value in never:
        assert value.lower() not in row["payload"].lower()


def invite(hub, org_id: str, username: str, name: str, role: str = "counsellor") -> dict:
    response = hub.client.post(f"/v1/organisations/{org_id}/people", headers=hub.operator(),
                               json={"username": username, "name": name, "role": role})
    assert response.status_code == 201, response.json
    return response.json


def test_inviting_a_person_and_an_operator_emits_person_registered(hub):
    org = hub.create_org()
    person = invite(hub, org["id"], "aino.ohjaaja", "Aino Ohjaaja", role="org_admin")
    operator = hub.client.post("/v1/operators", headers=hub.operator(),
                               json={"username": "olli.operaattori", "name": "Olli Operaattori"})
    assert operator.status_code == 201, operator.json
    first, second = person_events(hub)
    assert_person_event(first, "person.registered", person_id=person["id"], organisation_id=org["id"],
                        role="org_admin", active=True, sequence=1, never=("aino", "ohjaaja"))
    assert_person_event(second, "person.registered", person_id=operator.json["id"], organisation_id=None,
                        role="operator", active=True, sequence=1, never=("olli", "operaattori"))


def test_role_and_active_changes_emit_events_with_the_next_sequence(hub):
    org = hub.create_org()
    person = invite(hub, org["id"], "aino.ohjaaja", "Aino Ohjaaja")
    url = f"/v1/organisations/{org['id']}/people/{person['id']}"

    def patch(body: dict) -> dict:
        response = hub.client.patch(url, json=body, headers=hub.operator())
        assert response.status_code == 200, response.json
        return response.json

    patch({"role": "org_admin"})
    patch({"role": "org_admin"})  # the same role: no change, no event
    assert patch({"active": False})["active"] is False
    patch({"active": False})  # already deactivated: no event
    patch({"active": True})
    patch({"role": "counsellor", "active": False})  # both: one event each, in this order

    rows = person_events(hub)
    assert [row["type"] for row in rows] == ["person.registered", "person.updated", "person.deactivated",
                                             "person.reactivated", "person.updated", "person.deactivated"]
    expected = [("org_admin", True, 2), ("org_admin", False, 3), ("org_admin", True, 4), ("counsellor", True, 5),
                ("counsellor", False, 6)]
    for row, (role, active, sequence) in zip(rows[1:], expected):
        assert_person_event(row, row["type"], person_id=person["id"], organisation_id=org["id"], role=role,
                            active=active, sequence=sequence, never=("aino", "ohjaaja"))
    actions = [entry["action"] for entry in hub.client.get("/v1/audit-log", headers=hub.operator()).json["items"]]
    # newest first; the last PATCH's two entries may share a timestamp
    assert sorted(actions[:2]) == ["person.deactivated", "person.role_changed"]
    assert actions[2:6] == ["person.reactivated", "person.deactivated", "person.role_changed", "person.invited"]


def test_a_refused_change_emits_nothing(hub):
    org = hub.create_org()
    person = invite(hub, org["id"], "aino.ohjaaja", "Aino Ohjaaja")
    url = f"/v1/organisations/{org['id']}/people/{person['id']}"
    assert hub.client.patch(url, json={"role": "operator"}, headers=hub.operator()).status_code == 422
    assert hub.client.patch(url, json={"active": "sometimes"}, headers=hub.operator()).status_code == 422
    duplicate = hub.client.post(f"/v1/organisations/{org['id']}/people", headers=hub.operator(),
                                json={"username": "aino.ohjaaja", "name": "Toinen", "role": "counsellor"})
    assert duplicate.status_code == 409
    assert [row["type"] for row in person_events(hub)] == ["person.registered"]


def test_demo_people_are_registered_with_events(hub):
    demo.load(hub.runtime, KeyStore(hub.runtime.settings, hub.runtime.sessions))
    rows = person_events(hub)
    assert [(row["data"]["role"], row["data"]["sequence"]) for row in rows] == [
        (role, 1) for _, _, role, _ in demo.PEOPLE]
    assert [row["data"]["organisation_id"] is None for row in rows] == [org is None for _, org, _, _ in demo.PEOPLE]
    for row in rows:
        assert set(row["data"]) == SNAPSHOT_FIELDS
        for username, _, _, name in demo.PEOPLE:
            assert username not in row["payload"] and name not in row["payload"]


def test_migration_0003_versions_and_announces_existing_people(tmp_path):
    """People created before the events existed get version 1 and a person.registered each."""
    settings = make_settings(tmp_path)
    runtime = build_runtime(settings)
    try:
        migrations.upgrade(runtime.migrations_dir, settings.database_url, "0002")
        now, org_id, ids = utcnow(), uuid.uuid4(), [uuid.uuid4(), uuid.uuid4()]
        people = sa.table("people", *(sa.column(name) for name in ("username", "name", "role", "active",
                                                                    "failed_logins")),
                          sa.column("id", sa.Uuid()), sa.column("organisation_id", sa.Uuid()),
                          sa.column("created_at", UTCDateTime()), sa.column("updated_at", UTCDateTime()))
        with runtime.engine.begin() as connection:
            connection.execute(Organisation.__table__.insert().values(
                id=org_id, name_fi="Ohjaamo", type="ohjaamo", municipality_codes=[], active=True,
                response_deadline_days=14, version=1, services_version=0, created_at=now, updated_at=now))
            for person_id, organisation_id, role, active, username in (
                    (ids[0], org_id, "counsellor", False, "vanha.ohjaaja"), (ids[1], None, "operator", True, "vanha.op")):
                connection.execute(people.insert().values(
                    id=person_id, organisation_id=organisation_id, role=role, active=active, username=username,
                    name="Vanha Nimi", failed_logins=0, created_at=now, updated_at=now))
        runtime.migrate()
        with runtime.engine.connect() as connection:
            versions = connection.execute(sa.text("SELECT version FROM people")).scalars().all()
            rows = connection.execute(sa.select(runtime.tables.outbox)).mappings().all()
        assert versions == [1, 1]
        found = {row["subject"]: (row["type"], json.loads(row["payload"])) for row in rows}
        assert found[str(ids[0])] == ("person.registered", {"person_id": str(ids[0]), "organisation_id": str(org_id),
                                                            "role": "counsellor", "active": False, "sequence": 1})
        assert found[str(ids[1])] == ("person.registered", {"person_id": str(ids[1]), "organisation_id": None,
                                                            "role": "operator", "active": True, "sequence": 1})
        assert all("vanha" not in row["payload"].lower() for row in rows)
    finally:
        runtime.engine.dispose()
