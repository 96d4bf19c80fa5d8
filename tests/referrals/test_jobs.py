"""The scheduled jobs: the reminder before the deadline and the expiry at it (once each, across
restarts and two processes at once, on SQLite and PostgreSQL), and the retention purge."""
from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from shared.db import utcnow

from referrals.app import create_app
from referrals.bootstrap import build_runtime
from referrals.domain.deadlines import deadline_for, reminder_for
from referrals.jobs import expire_due, purge_due, remind_due, run_deadlines
from referrals.models import HistoryEntry, Referral
from referrals.settings import ReferralsSettings
from tests.referrals.conftest import Parties, deliver, organisation_event, outbox_events, referral_body

UTC = timezone.utc


def _set(runtime, referral_id, **values):
    table = Referral.__table__
    with runtime.engine.begin() as connection:
        connection.execute(table.update().where(table.c.id == uuid.UUID(referral_id)).values(**values))


def _row(runtime, referral_id) -> Referral:
    with runtime.sessions() as session:
        return session.get(Referral, uuid.UUID(referral_id))


def _send(client, orgs, as_org) -> str:
    return client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.sender)).json["id"]


# --- when ---------------------------------------------------------------------------------

def test_reminder_is_two_helsinki_days_before_the_deadline_across_dst():
    sent = datetime(2026, 3, 20, 10, tzinfo=UTC)
    deadline = deadline_for(sent, 10)  # end of 30 March local = 2026-03-30T21:00Z (EEST, UTC+3)
    assert deadline == datetime(2026, 3, 30, 21, tzinfo=UTC)
    # two local days earlier is midnight 29 March, still EET (UTC+2): 22:00Z, not 21:00Z
    assert reminder_for(sent, deadline, 2) == datetime(2026, 3, 28, 22, tzinfo=UTC)
    assert reminder_for(sent, deadline_for(sent, 1), 2) is None  # too short a deadline: no reminder
    assert reminder_for(sent, deadline, 0) is None


def test_a_new_referral_gets_its_reminder_time(client, runtime, orgs, as_org, sent):
    row = _row(runtime, sent["id"])
    assert row.remind_at == reminder_for(row.created_at, row.deadline_at, 2) and row.reminded_at is None


# --- reminders and expiry -------------------------------------------------------------------

def test_reminder_is_emitted_once_and_only_while_waiting(client, runtime, orgs, as_org, sent):
    answered = _send(client, orgs, as_org)
    client.post(f"/v1/referrals/{answered}/accept", headers=as_org(orgs.receiver))
    row = _row(runtime, sent["id"])
    assert remind_due(runtime, now=row.remind_at - timedelta(seconds=1)) == 0
    assert remind_due(runtime, now=row.remind_at) == 1
    assert remind_due(runtime, now=row.remind_at + timedelta(hours=1)) == 0  # a restart finds nothing to redo
    [event] = outbox_events(runtime, "referral.reminder")
    assert event["data"]["referral_id"] == sent["id"] and event["data"]["status"] == "sent"
    assert datetime.fromisoformat(event["data"]["deadline_at"]) == row.deadline_at
    assert _row(runtime, sent["id"]).version == row.version  # a reminder is no change of the referral


def test_no_reminder_after_the_deadline_but_expiry(client, runtime, orgs, as_org, sent):
    row = _row(runtime, sent["id"])
    assert run_deadlines(runtime, now=row.deadline_at) == 1
    assert [e["type"] for e in outbox_events(runtime)][-1] == "referral.expired"
    assert outbox_events(runtime, "referral.reminder") == []
    assert run_deadlines(runtime, now=row.deadline_at + timedelta(days=1)) == 0


def test_expiry_job_expires_once(client, runtime, orgs, as_org, sent):
    answered = _send(client, orgs, as_org)
    client.post(f"/v1/referrals/{answered}/accept", headers=as_org(orgs.receiver))
    not_due = _send(client, orgs, as_org)
    past = utcnow() - timedelta(minutes=1)
    _set(runtime, sent["id"], deadline_at=past)
    _set(runtime, answered, deadline_at=past)
    assert expire_due(runtime) == 1
    assert expire_due(runtime) == 0
    [event] = outbox_events(runtime, "referral.expired")
    assert event["data"]["referral_id"] == sent["id"]
    statuses = {r["id"]: r["status"] for r in client.get("/v1/referrals", headers=as_org(orgs.sender)).json["items"]}
    assert statuses == {sent["id"]: "expired", answered: "accepted", not_due: "sent"}


def _two_processes_run_the_deadline_job(runtime, settings, client, orgs, as_org):
    now = utcnow()
    to_remind = [_send(client, orgs, as_org) for _ in range(5)]
    to_expire = [_send(client, orgs, as_org) for _ in range(5)]
    for referral_id in to_remind:
        _set(runtime, referral_id, remind_at=now - timedelta(minutes=1))
    for referral_id in to_expire:
        _set(runtime, referral_id, remind_at=now - timedelta(days=2), deadline_at=now - timedelta(minutes=1))
    second = build_runtime(settings)  # another process's runtime: its own engine and connections
    start, results = threading.Barrier(2), []

    def run(rt):
        start.wait()
        results.append(run_deadlines(rt, now=now, batch=50))

    threads = [threading.Thread(target=run, args=(rt,)) for rt in (runtime, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert run_deadlines(second, now=now) == 0  # and again after a "restart"
    second.engine.dispose()
    assert sum(results) == 10
    reminders = Counter(e["data"]["referral_id"] for e in outbox_events(runtime, "referral.reminder"))
    expiries = Counter(e["data"]["referral_id"] for e in outbox_events(runtime, "referral.expired"))
    assert reminders == Counter(to_remind) and expiries == Counter(to_expire)


def test_two_processes_remind_and_expire_each_referral_once(client, runtime, orgs, as_org, settings):
    _two_processes_run_the_deadline_job(runtime, settings, client, orgs, as_org)


@pytest.mark.realservers
def test_two_processes_remind_and_expire_each_referral_once_on_postgresql(fresh_postgres_db, tmp_path, tokens,
                                                                         as_org):
    url = fresh_postgres_db("referrals").replace("postgresql://", "postgresql+psycopg://", 1)
    settings = ReferralsSettings(var_dir=tmp_path, database_url=url)
    runtime = build_runtime(settings)
    runtime.migrate()
    orgs = Parties(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    for organisation_id in (orgs.sender, orgs.receiver):
        deliver(runtime, organisation_event(organisation_id))
    client = create_app(settings, verifier=tokens.verifier(), runtime=runtime).test_client()
    try:
        _two_processes_run_the_deadline_job(runtime, settings, client, orgs, as_org)
    finally:
        runtime.engine.dispose()


# --- retention ------------------------------------------------------------------------------

def test_retention_purges_client_data_of_closed_referrals_only(client, runtime, orgs, as_org, operator, sent):
    path = f"/v1/referrals/{sent['id']}"
    client.post(f"{path}/comments", json={"text": "Soita iltapäivällä"}, headers=as_org(orgs.sender))
    client.post(f"{path}/decline", json={"reason": "at_capacity", "note": "Ei tilaa"}, headers=as_org(orgs.receiver))
    still_open = _send(client, orgs, as_org)
    statistics = client.get("/v1/statistics", headers=operator).json
    closed_at = _row(runtime, sent["id"]).closed_at
    assert closed_at is not None and _row(runtime, still_open).closed_at is None

    assert purge_due(runtime, now=closed_at + timedelta(days=90) - timedelta(seconds=1)) == 0
    assert purge_due(runtime, now=closed_at + timedelta(days=90)) == 1
    assert purge_due(runtime, now=closed_at + timedelta(days=400)) == 0

    body = client.get(path, headers=as_org(orgs.sender)).json
    assert body["client"] is None and body["reason"] is None and body["responsible_worker"] is None
    assert body["client_data_visible"] is False and body["client_data_purged_at"] is not None
    assert body["status"] == "declined"
    history = client.get(f"{path}/history", headers=as_org(orgs.sender)).json["items"]
    assert [h["to_status"] for h in history if h["kind"] == "status"] == ["sent", "declined"]
    assert all(h["text"] is None for h in history)
    row = _row(runtime, sent["id"])
    assert (row.data_blob, row.data_key_id, row.client_index, row.status_code) == (b"", "", None, "at_capacity")
    with runtime.sessions() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(HistoryEntry).where(
            HistoryEntry.referral_id == row.id, HistoryEntry.text_blob.is_not(None))).scalar_one() == 0
    assert client.get(f"/v1/referrals/{still_open}", headers=as_org(orgs.sender)).json["client"] is not None
    assert client.post(f"{path}/comments", json={"text": "x"}, headers=as_org(orgs.sender)).status_code == 409
    assert client.get("/v1/statistics", headers=operator).json == statistics  # statistics survive the purge


def test_retention_period_is_configurable(client, runtime, orgs, as_org, sent):
    client.post(f"/v1/referrals/{sent['id']}/withdraw", json={"reason": "other"}, headers=as_org(orgs.sender))
    closed_at = _row(runtime, sent["id"]).closed_at
    runtime.settings.retention_days = 7
    assert purge_due(runtime, now=closed_at + timedelta(days=6)) == 0
    assert purge_due(runtime, now=closed_at + timedelta(days=7)) == 1
