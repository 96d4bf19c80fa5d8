"""The web forms link to the signed-in person's notices at notifications, with the unread count
asked of the real notifications app with the person's own token."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from notifications.app import create_app as create_notifications_app
from notifications.bootstrap import build_runtime as build_notifications_runtime
from notifications.handlers import HANDLERS
from notifications.settings import NotificationsSettings
from shared.contracts.envelope import Event
from shared.contracts.events import ReferralSent
from shared.db import unit_of_work
from tests.web.conftest import EMPLOYMENT, KERAVA, sign_in
from tests.web.fake_accounts import ServerThread


@pytest.fixture
def notifications(tmp_path, tokens):
    runtime = build_notifications_runtime(NotificationsSettings(var_dir=tmp_path / "notifications"))
    runtime.migrate()
    app = create_notifications_app(runtime=runtime, verifier=tokens.verifier())
    with ServerThread(app) as server:
        yield server, runtime
    runtime.engine.dispose()


def _referral_sent_to(runtime, receiver: uuid.UUID) -> None:
    event = Event.of(ReferralSent(referral_id=uuid.uuid4(), from_organisation_id=EMPLOYMENT, to_organisation_id=receiver,
                                  status="sent", sequence=1, occurred_at=datetime.now(timezone.utc)), source="/test")
    with unit_of_work(runtime.sessions) as session:
        HANDLERS[event.type](session, event)


def test_the_navigation_links_to_the_notices_with_the_unread_count(web_hub, notifications):
    server, runtime = notifications
    web_hub.runtime.settings.notifications_url = server.url
    for _ in range(2):
        _referral_sent_to(runtime, KERAVA)
    _referral_sent_to(runtime, EMPLOYMENT)  # another organisation's: not counted

    client = web_hub.app.test_client()
    sign_in(client, "aino")  # a counsellor of Ohjaamo Kerava
    page = client.get("/", headers={"Accept-Language": "fi"}).get_data(as_text=True)
    assert f'href="{server.url}/notices/"' in page
    assert 'class="count-badge">2<span class="visually-hidden"> lukematonta</span>' in page


def test_the_page_does_not_wait_for_notifications_that_is_down(web_hub):
    web_hub.runtime.settings.notifications_url = "http://127.0.0.1:9"  # nothing listens there
    client = web_hub.app.test_client()
    sign_in(client, "aino")
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="http://127.0.0.1:9/notices/"' in page and "count-badge" not in page
