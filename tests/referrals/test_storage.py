"""What is in the database: encrypted client data, the read model and denylist fed by events,
and the schema the migrations make."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.contracts.envelope import Event
from shared.contracts.events import ApiClientRevoked
from shared.db import unit_of_work

from referrals.bootstrap import build_runtime
from referrals.handlers import HANDLERS
from referrals.models import Base, Organisation, Referral
from referrals.settings import ReferralsSettings
from tests.referrals.conftest import deliver, organisation_event, outbox_events


def test_client_data_is_not_plaintext_in_the_database(client, runtime, orgs, as_org, sent, settings):
    client.post(f"/v1/referrals/{sent['id']}/decline", json={"reason": "other", "note": "Aino muutti"},
                headers=as_org(orgs.receiver))
    runtime.engine.dispose()
    raw = (settings.var_dir / "referrals.sqlite").read_bytes()
    for path in settings.var_dir.glob("referrals.sqlite-wal"):
        raw += path.read_bytes()
    for secret in ("Aino", "Testinen", "010504A902T", "aino@example.org", "Ville Vastuullinen",
                   "Tarvitsee apua", "Aino muutti"):
        assert secret.encode() not in raw, secret
    with runtime.sessions() as session:
        referral = session.get(Referral, uuid.UUID(sent["id"]))
    assert referral.data_key_id and referral.client_index and len(referral.client_index) == 64


def test_a_blob_moved_to_another_referral_does_not_decrypt(runtime, client, orgs, as_org, sent):
    from cryptography.exceptions import InvalidTag

    from referrals.bootstrap import vault_of

    with runtime.sessions() as session:
        referral = session.get(Referral, uuid.UUID(sent["id"]))
    with pytest.raises(InvalidTag):
        vault_of(runtime).open(uuid.uuid4(), referral.data_key_id, referral.data_blob)


def test_keys_come_from_the_environment(tmp_path, monkeypatch):
    import base64

    key = base64.b64encode(b"k" * 32).decode()
    monkeypatch.setenv("REFERRALS_DATA_KEYS", f"d1:{key}")
    monkeypatch.setenv("REFERRALS_INDEX_KEYS", f"i1:{key}")
    runtime = build_runtime(ReferralsSettings(var_dir=tmp_path))
    vault = runtime.extras["vault"]
    assert vault.data_keys.current == "d1" and vault.index_keys.current == "i1"
    assert not (tmp_path / "referrals-data-keys.txt").exists()
    runtime.engine.dispose()


def test_read_model_ignores_stale_and_repeated_events(runtime):
    organisation_id = uuid.uuid4()
    deliver(runtime, organisation_event(organisation_id, sequence=3, name="Uusi", deadline_days=5))
    deliver(runtime, organisation_event(organisation_id, sequence=2, name="Vanha", active=False,
                                        kind="deactivated"))
    deliver(runtime, organisation_event(organisation_id, sequence=3, name="Toisto", kind="updated"))
    with runtime.sessions() as session:
        organisation = session.get(Organisation, organisation_id)
    assert (organisation.name, organisation.active, organisation.sequence, organisation.response_deadline_days) == \
        ({"fi": "Uusi"}, True, 3, 5)
    deliver(runtime, organisation_event(organisation_id, sequence=4, active=False, kind="deactivated"))
    deliver(runtime, organisation_event(organisation_id, sequence=5, active=True, kind="reactivated"))
    with runtime.sessions() as session:
        assert session.get(Organisation, organisation_id).active is True


def test_events_reach_handlers_through_the_inbox(runtime):
    organisation_id = uuid.uuid4()
    event = organisation_event(organisation_id, sequence=1)
    consumer = runtime.consumer()
    assert consumer.store(event.ce_headers(), event.body(), event.id) is True
    assert consumer.store(event.ce_headers(), event.body(), event.id) is False  # redelivery
    assert runtime.processor(HANDLERS).process_due() == 1
    with runtime.sessions() as session:
        assert session.get(Organisation, organisation_id) is not None


def test_deactivated_receiver_withdraws_its_open_referrals(client, runtime, orgs, as_org, sent):
    deliver(runtime, organisation_event(orgs.receiver, sequence=2, active=False, kind="deactivated"))
    referral = client.get(f"/v1/referrals/{sent['id']}", headers=as_org(orgs.sender)).json
    assert referral["status"] == "withdrawn"
    [event] = outbox_events(runtime, "referral.withdrawn")
    assert event["data"]["reason"] == "receiver_deactivated" and event["data"]["referral_id"] == sent["id"]


def test_revoked_clients_tokens_are_refused(client, runtime, orgs, tokens):
    headers = tokens.headers(org=str(orgs.sender), scopes=("referrals:read",), sub="te-client")
    assert client.get("/v1/referrals", headers=headers).status_code == 200
    revoked = ApiClientRevoked(client_id="te-client", organisation_id=orgs.sender,
                               revoked_at=datetime.now(timezone.utc) + timedelta(seconds=1))
    deliver(runtime, Event.of(revoked, source="/accounts"))
    assert client.get("/v1/referrals", headers=headers).status_code == 401
    other = tokens.headers(org=str(orgs.sender), scopes=("referrals:read",), sub="other-client")
    assert client.get("/v1/referrals", headers=other).status_code == 200
    later = tokens.headers(org=str(orgs.sender), scopes=("referrals:read",), sub="te-client",
                           iat=int(revoked.revoked_at.timestamp()) + 5)
    assert client.get("/v1/referrals", headers=later).status_code == 200


def _schema_differences(url: str) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_migration_makes_exactly_the_models(runtime, settings):
    assert _schema_differences(settings.database_url) == []


@pytest.mark.realservers
def test_migration_makes_exactly_the_models_on_postgresql(fresh_postgres_db, tmp_path):
    url = fresh_postgres_db("referrals").replace("postgresql://", "postgresql+psycopg://", 1)
    runtime = build_runtime(ReferralsSettings(var_dir=tmp_path, database_url=url))
    runtime.migrate()
    runtime.engine.dispose()
    assert _schema_differences(url) == []


def test_handlers_cover_the_contracted_events():
    assert set(HANDLERS) == {"organisation.registered", "organisation.updated", "organisation.deactivated",
                             "organisation.reactivated", "organisation.services_updated", "api_client.revoked",
                             "person.registered", "person.updated", "person.deactivated", "person.reactivated",
                             "notification.delivered"}


def test_handlers_emit_in_the_callers_transaction(runtime, orgs, client, as_org, sent):
    """A failing handler leaves no half-done withdrawal (the inbox retries it whole)."""
    with pytest.raises(RuntimeError):
        with unit_of_work(runtime.sessions) as session:
            HANDLERS["organisation.deactivated"](
                session, organisation_event(orgs.receiver, sequence=2, active=False, kind="deactivated"))
            raise RuntimeError("crash after the handler")
    assert outbox_events(runtime, "referral.withdrawn") == []


def test_migration_0002_backfills_existing_referrals(settings):
    from shared import migrations

    from referrals.bootstrap import MIGRATIONS_DIR
    from referrals.domain.deadlines import reminder_for

    migrations.upgrade(MIGRATIONS_DIR, settings.database_url, "0001")
    created = datetime(2026, 1, 31, 23, 0, tzinfo=timezone.utc)  # February in Helsinki
    engine = sa.create_engine(settings.database_url)
    ids = {status: uuid.uuid4() for status in ("declined", "sent")}
    with engine.begin() as connection:
        for status, referral_id in ids.items():
            connection.execute(sa.text(
                "INSERT INTO referrals (id, from_organisation_id, to_organisation_id, status, version, needs, urgency,"
                " deadline_at, consent_method, consent_given_at, consent_recorded_by, data_key_id, data_blob,"
                " created_by, created_at, updated_at) VALUES (:id, :a, :b, :status, 2, '[]', 'normal',"
                " '2026-02-14 22:00:00.000000', 'written', '2026-01-30 10:00:00.000000', 'x', 'k', x'00', 'x',"
                " '2026-01-31 23:00:00.000000', '2026-02-01 03:00:00.000000')"),
                {"id": referral_id.hex, "a": uuid.uuid4().hex, "b": uuid.uuid4().hex, "status": status})
        connection.execute(sa.text(
            "INSERT INTO referral_history (id, version, referral_id, kind, at, subject, from_status, to_status, code)"
            " VALUES (:id, 2, :referral, 'status', '2026-02-01 03:00:00.000000', 'x', 'sent', 'declined',"
            " 'at_capacity')"), {"id": uuid.uuid4().hex, "referral": ids["declined"].hex})
    engine.dispose()
    migrations.upgrade(MIGRATIONS_DIR, settings.database_url)
    runtime = build_runtime(settings)
    with runtime.sessions() as session:
        declined, waiting = (session.get(Referral, ids[s]) for s in ("declined", "sent"))
    runtime.engine.dispose()
    assert (declined.sent_month, declined.status_code, declined.answer_seconds) == ("2026-02", "at_capacity", 4 * 3600)
    assert declined.closed_at == declined.updated_at and declined.remind_at is None
    assert waiting.remind_at == reminder_for(created, waiting.deadline_at, 2) and waiting.closed_at is None
