"""`GET /v1/statistics`: counts, rate and median; small cells suppressed; umbrella organisations
see their children; a third organisation sees nothing of others' referrals."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from referrals.domain import statistics as stats
from referrals.models import Referral
from tests.referrals.conftest import deliver, organisation_event, referral_body


def _send(client, as_org, sender, receiver) -> str:
    response = client.post("/v1/referrals", json=referral_body(receiver), headers=as_org(sender))
    assert response.status_code == 201
    return response.json["id"]


def _cell(cells: list[dict], key: str, value) -> dict:
    return next(cell for cell in cells if cell[key] == str(value))


# --- the pure rules -------------------------------------------------------------------------

def test_months_and_periods_are_helsinki_ones():
    assert stats.month_of(datetime(2026, 1, 31, 22, 30, tzinfo=timezone.utc)) == "2026-02"
    assert stats.month_of(datetime(2026, 1, 31, 21, 59, tzinfo=timezone.utc)) == "2026-01"
    start, end = stats.period_bounds(date(2026, 1, 1), date(2026, 6, 30))
    assert start == datetime(2025, 12, 31, 22, tzinfo=timezone.utc)
    assert end == datetime(2026, 6, 30, 21, tzinfo=timezone.utc)  # summer time


def test_suppression_hides_small_cells_and_their_complement():
    assert stats.suppress({"a": 10, "b": 7}) == {"a": 10, "b": 7}
    assert stats.suppress({"a": 10, "b": 7, "c": 2}) == {"a": 10, "b": None, "c": None}
    assert stats.suppress({"a": 10, "b": 3, "c": 2}) == {"a": 10, "b": None, "c": None}
    assert stats.suppress({"a": 4}) == {"a": None}
    assert stats.acceptance_rate(6, 0) == 1.0
    assert stats.acceptance_rate(6, 3) is None and stats.acceptance_rate(2, 2) is None
    assert stats.acceptance_rate(6, 6) == 0.5
    assert stats.median_hours(4, [3600, 7200]) is None
    assert stats.median_hours(5, [3 * 3600]) == 3.0 and stats.median_hours(6, [3600, 7200]) == 1.5


# --- the endpoint ---------------------------------------------------------------------------

def test_counts_rate_median_and_suppression(client, runtime, orgs, as_org):
    accepted = [_send(client, as_org, orgs.sender, orgs.receiver) for _ in range(6)]
    declined = [_send(client, as_org, orgs.sender, orgs.receiver) for _ in range(5)]
    for _ in range(2):  # still waiting
        _send(client, as_org, orgs.sender, orgs.receiver)
    elsewhere = _send(client, as_org, orgs.sender, orgs.third)
    with runtime.engine.begin() as connection:  # sent 1..11 hours before the answer
        for hours, referral_id in enumerate(accepted + declined, start=1):
            connection.execute(sa.update(Referral).where(Referral.id == uuid.UUID(referral_id))
                               .values(created_at=datetime.now(timezone.utc) - timedelta(hours=hours)))
    for referral_id in accepted:
        client.post(f"/v1/referrals/{referral_id}/accept", headers=as_org(orgs.receiver))
    for referral_id in accepted[:5]:
        client.post(f"/v1/referrals/{referral_id}/complete", json={"outcome": "started_work"},
                    headers=as_org(orgs.receiver))
    client.post(f"/v1/referrals/{accepted[5]}/start", headers=as_org(orgs.receiver))
    for referral_id in declined:
        client.post(f"/v1/referrals/{referral_id}/decline", json={"reason": "at_capacity"},
                    headers=as_org(orgs.receiver))

    today = date.today()
    query = {"from": (today - timedelta(days=30)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    response = client.get("/v1/statistics", query_string=query, headers=as_org(orgs.sender, scopes=()))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["organisation_ids"] == [str(orgs.sender)] and body["min_cell"] == 5
    assert body["total"] == {"count": 14, "suppressed": False}
    assert body["acceptance_rate"] == {"value": round(6 / 11, 4), "suppressed": False}
    assert body["median_hours_to_answer"] == {"value": 6.0, "suppressed": False}
    assert _cell(body["by_status"], "status", "completed") == {"status": "completed", "count": 5, "suppressed": False}
    assert _cell(body["by_status"], "status", "declined")["count"] == 5
    # sent (3) and in_progress (1) are small
    for status in ("sent", "in_progress"):
        assert _cell(body["by_status"], "status", status) == {"status": status, "count": None, "suppressed": True}
    # the third organisation's cell (1) is small; the receiver's (13) is hidden as its complement,
    # or 14 - 13 would give it away
    assert [c["count"] for c in body["by_receiver"]] == [None, None]
    assert _cell(body["by_sender"], "organisation_id", orgs.sender)["count"] == 14
    assert body["by_outcome"] == [{"outcome": "started_work", "count": 5, "suppressed": False}]
    assert body["by_decline_reason"] == [{"reason": "at_capacity", "count": 5, "suppressed": False}]
    assert body["by_month"] == [{"month": stats.month_of(datetime.now(timezone.utc)), "count": 14,
                                 "suppressed": False}]

    # the third organisation sees only the one referral it is a party to, and that suppressed
    third = client.get("/v1/statistics", query_string=query, headers=as_org(orgs.third)).json
    assert third["total"] == {"count": None, "suppressed": True}
    assert [c["organisation_id"] for c in third["by_receiver"]] == [str(orgs.third)]
    assert elsewhere not in str(third)


def test_an_umbrella_organisation_sees_its_childrens_figures(client, runtime, orgs, as_org, operator):
    umbrella, child = uuid.uuid4(), uuid.uuid4()
    deliver(runtime, organisation_event(umbrella, name="Ohjaamo Keski-Uusimaa"))
    deliver(runtime, organisation_event(child, name="Ohjaamo Kerava"))
    from shared.contracts.events import OrganisationUpdated
    from shared.contracts.envelope import Event

    deliver(runtime, Event.of(OrganisationUpdated(organisation_id=child, name={"fi": "Ohjaamo Kerava"},
                                                  type="ohjaamo", parent_id=umbrella, sequence=2), source="/accounts"))
    for _ in range(5):
        _send(client, as_org, child, orgs.receiver)
    _send(client, as_org, orgs.sender, orgs.receiver)

    seen = client.get("/v1/statistics", headers=as_org(umbrella)).json
    assert set(seen["organisation_ids"]) == {str(umbrella), str(child)}
    assert seen["total"]["count"] == 5
    assert client.get("/v1/statistics", headers=as_org(child)).json["organisation_ids"] == [str(child)]
    network = client.get("/v1/statistics", headers=operator).json
    assert network["organisation_ids"] is None and network["total"]["count"] == 6


@pytest.mark.parametrize("query, field", [({"from": "2026-02-01", "to": "2026-01-01"}, "to"),
                                          ({"from": "yesterday"}, "from"), ({"to": "2026-13-01"}, "to"),
                                          ({"from": "2999-01-01"}, "from"),
                                          ({"from": "2000-01-01", "to": "2026-01-01"}, "to"),
                                          # the extremes of the calendar once overflowed into a 500
                                          ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
                                          ({"to": "9999-12-31"}, "to")])
def test_bad_periods_are_422(client, orgs, as_org, query, field):
    response = client.get("/v1/statistics", query_string=query, headers=as_org(orgs.sender))
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == field


def test_statistics_need_a_token_and_an_organisation(client, tokens):
    assert client.get("/v1/statistics").status_code == 401
    assert client.get("/v1/statistics", headers=tokens.headers(scopes=("referrals:read",))).status_code == 403
