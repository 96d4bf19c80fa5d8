"""The ops suite runs against notifications (a service with an inbox, outbox and webhooks) in-process."""
from __future__ import annotations

import pytest

from tests.notifications.conftest import app, client, receiver, register, org_headers, runtime  # noqa: F401
from notifications.settings import NotificationsSettings


@pytest.fixture
def settings(tmp_path) -> NotificationsSettings:
    # One failed attempt makes a dead letter; no back-off to wait through; the other services are absent.
    return NotificationsSettings(var_dir=tmp_path, allow_private_urls=True, delivery_timeout_seconds=2.0,
                                 inbox_max_attempts=1, accounts_url="http://127.0.0.1:9",
                                 referrals_url="http://127.0.0.1:9")


@pytest.fixture
def operator_headers(tokens):
    return tokens.headers(roles=("operator",), scopes=("ops:read", "organisations:admin"))
