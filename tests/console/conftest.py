"""The console runs on a migrated notifications app; the other services are absent (port 9) unless a
test serves one. A signed-in browser is a test client whose session holds a token, as weblogin keeps it."""
from __future__ import annotations

import pytest

from shared.weblogin import TOKEN
from notifications.settings import NotificationsSettings

from tests.notifications.conftest import app, client, runtime  # noqa: F401
from tests.web.fake_accounts import ServerThread

OPERATOR = {"roles": ("operator",), "scopes": ("organisations:admin", "ops:read"), "name": "Olli Operaattori"}


@pytest.fixture
def settings(tmp_path) -> NotificationsSettings:
    # One failed attempt makes a dead letter.
    return NotificationsSettings(var_dir=tmp_path, allow_private_urls=True, inbox_max_attempts=1,
                                 accounts_url="http://127.0.0.1:9", referrals_url="http://127.0.0.1:9")


@pytest.fixture
def sign_in(client, tokens):  # noqa: F811
    """`sign_in(base_url=..., **claims)`: the client's session holds a token with these claims (an operator's by default)."""
    def make(base_url: str = "http://localhost", **claims):
        with client.session_transaction(base_url=base_url) as session:
            session[TOKEN] = tokens.issue(**{**OPERATOR, **claims})
        return client
    return make


@pytest.fixture
def served(app):  # noqa: F811
    """The same app on a real port: the console reaches notifications' own ops API there."""
    with ServerThread(app) as server:
        yield server
