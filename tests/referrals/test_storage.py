"""What is in the database: encrypted client data, the read model and denylist fed by events,
the schema the migration makes, and the deadline job."""
from __future__ import annotations

import threading
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
from referrals.usecases import expire_due
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


def _past_deadline(runtime, referral_id):
    with runtime.engine.begin() as connection:
        connection.execute(sa.update(Referral.__table__).where(Referral.__table__.c.id == uuid.UUID(referral_id))
                           .values(deadline_at=datetime.now(timezone.utc) - timedelta(minutes=1)))


def test_expiry_job_expires_once(client, runtime, orgs, as_org, sent):
    from tests.referrals.conftest import referral_body

    answered = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.sender)).json
    client.post(f"/v1/referrals/{answered['id']}/accept", headers=as_org(orgs.receiver))
    not_due = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.sender)).json
    _past_deadline(runtime, sent["id"])
    _past_deadline(runtime, answered["id"])
    assert expire_due(runtime) == 1
    assert expire_due(runtime) == 0
    [event] = outbox_events(runtime, "referral.expired")
    assert event["data"]["referral_id"] == sent["id"]
    statuses = {r["id"]: r["status"] for r in client.get("/v1/referrals", headers=as_org(orgs.sender)).json["items"]}
    assert statuses == {sent["id"]: "expired", answered["id"]: "accepted", not_due["id"]: "sent"}


def _two_processes_expire_each_referral_once(runtime, settings, client, orgs, as_org):
    from tests.referrals.conftest import referral_body

    ids = [client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.sender)).json["id"]
           for _ in range(6)]
    for referral_id in ids:
        _past_deadline(runtime, referral_id)
    second = build_runtime(settings)  # another process's runtime: its own engine and connections
    start, results = threading.Barrier(2), []

    def run(rt):
        start.wait()
        results.append(expire_due(rt, batch=10))

    threads = [threading.Thread(target=run, args=(rt,)) for rt in (runtime, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    second.engine.dispose()
    assert sum(results) == 6
    assert sorted(e["data"]["referral_id"] for e in outbox_events(runtime, "referral.expired")) == sorted(ids)


def test_two_processes_expire_each_referral_once(client, runtime, orgs, as_org, settings):
    _two_processes_expire_each_referral_once(runtime, settings, client, orgs, as_org)


@pytest.mark.realservers
def test_two_processes_expire_each_referral_once_on_postgresql(fresh_postgres_db, tmp_path, tokens, as_org):
    from referrals.app import create_app
    from tests.referrals.conftest import Parties

    url = fresh_postgres_db("referrals").replace("postgresql://", "postgresql+psycopg://", 1)
    settings = ReferralsSettings(var_dir=tmp_path, database_url=url)
    runtime = build_runtime(settings)
    runtime.migrate()
    orgs = Parties(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    for organisation_id in (orgs.sender, orgs.receiver):
        deliver(runtime, organisation_event(organisation_id))
    client = create_app(settings, verifier=tokens.verifier(), runtime=runtime).test_client()
    try:
        _two_processes_expire_each_referral_once(runtime, settings, client, orgs, as_org)
    finally:
        runtime.engine.dispose()


def test_handlers_cover_the_contracted_events():
    assert set(HANDLERS) == {"organisation.registered", "organisation.updated", "organisation.deactivated",
                             "organisation.reactivated", "api_client.revoked"}


def test_handlers_emit_in_the_callers_transaction(runtime, orgs, client, as_org, sent):
    """A failing handler leaves no half-done withdrawal (the inbox retries it whole)."""
    with pytest.raises(RuntimeError):
        with unit_of_work(runtime.sessions) as session:
            HANDLERS["organisation.deactivated"](
                session, organisation_event(orgs.receiver, sequence=2, active=False, kind="deactivated"))
            raise RuntimeError("crash after the handler")
    assert outbox_events(runtime, "referral.withdrawn") == []
