"""Rate limits of /oauth/token, counted in the database so that every worker shares them."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from accounts.app import create_app
from accounts.housekeeping import purge
from accounts.models import RateLimitWindow
from shared.db import unit_of_work
from tests.accounts.conftest import OPERATOR_ID, OPERATOR_SECRET, Hub, basic


@pytest.fixture
def limited(migrated_runtime) -> tuple[Hub, Hub]:
    """Two apps on one database, as two gunicorn workers are, with small limits."""
    settings = migrated_runtime.settings
    settings.token_rate_per_client, settings.token_rate_per_address = 3, 100
    settings.client_lockout_failures = 3
    apps = [create_app(runtime=migrated_runtime) for _ in range(2)]
    return tuple(Hub(app, app.test_client(), migrated_runtime) for app in apps)


def request_token(hub: Hub, secret: str = OPERATOR_SECRET, address: str = "192.0.2.10"):
    return hub.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers=basic(OPERATOR_ID, secret), environ_base={"REMOTE_ADDR": address})


def test_per_client_limit_is_shared_by_workers_and_answers_429_with_retry_after(limited):
    first, second = limited
    assert [request_token(worker).status_code for worker in (first, second, first)] == [200, 200, 200]
    response = request_token(second)
    assert response.status_code == 429
    assert response.json["error"] == "temporarily_unavailable" and response.mimetype == "application/json"
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_per_address_limit(limited):
    first, _ = limited
    first.runtime.settings.token_rate_per_address = 2
    statuses = [request_token(first, address="198.51.100.7").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert request_token(first, address="198.51.100.8").status_code == 200


def test_repeated_wrong_secrets_lock_the_client_id_out(limited):
    first, second = limited
    first.runtime.settings.token_rate_per_client = 100
    assert [request_token(first, "wrong").status_code for _ in range(3)] == [401, 401, 401]
    locked = request_token(second)  # the right secret, at another worker
    assert locked.status_code == 429 and "wrong secrets" in locked.json["error_description"]
    assert 1 <= int(locked.headers["Retry-After"]) <= 900  # until the 15-minute window ends


def test_purge_removes_windows_older_than_an_hour(limited):
    first, _ = limited
    request_token(first)
    with unit_of_work(first.runtime.sessions) as session:
        session.add(RateLimitWindow(key="token-client:old", window_start=0, hits=5))
    with unit_of_work(first.runtime.sessions) as session:
        removed = purge(session)
        assert removed["rate_limit_windows"] == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(RateLimitWindow)) == 2  # this minute's
