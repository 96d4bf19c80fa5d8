"""Schemathesis against notifications' own OpenAPI document (tests/support/fuzz.py): no input may
cause a 5xx, and every answer must match what the document says. The operators' console paths are
called as an operator, people's notices and settings as a counsellor, the rest as an organisation's
API client."""
from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import pytest

from shared.contracts.envelope import Event
from shared.contracts.events import PersonRegistered
from shared.db import unit_of_work

from notifications.app import create_app
from notifications.bootstrap import build_runtime
from notifications.handlers import HANDLERS
from notifications.settings import NotificationsSettings
from tests.conftest import TokenFactory
from tests.notifications.conftest import referral_sent
from tests.support.fuzz import FUZZ_SETTINGS, check_case, openapi_schema

# The document does not depend on the database: read it from an app that never touches one.
schema = openapi_schema(create_app(NotificationsSettings(database_url="sqlite://",
                                                         var_dir=Path(tempfile.mkdtemp(prefix="notifications-doc-"))),
                                   verifier=TokenFactory().verifier()))


@pytest.fixture
def app_and_tokens(tmp_path, tokens):
    runtime = build_runtime(NotificationsSettings(var_dir=tmp_path, allow_private_urls=True,
                                                  accounts_url="http://127.0.0.1:9", referrals_url="http://127.0.0.1:9"))
    runtime.migrate()
    app = create_app(runtime=runtime, verifier=tokens.verifier())
    organisation = tokens.headers(org=str(uuid.uuid4()), scopes=("webhooks:manage",))
    # Something to list, rotate and recover besides random ids.
    assert app.test_client().post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"]},
                                  headers=organisation).status_code == 201
    # A counsellor known from accounts' events, with notices of their organisation to list and mark.
    organisation_id, person_id = uuid.uuid4(), uuid.uuid4()
    with unit_of_work(runtime.sessions) as session:
        for data in (PersonRegistered(person_id=person_id, organisation_id=organisation_id, role="counsellor",
                                      sequence=1), referral_sent(uuid.uuid4(), organisation_id)):
            event = Event.of(data, source="/test")
            HANDLERS[event.type](session, event)
    counsellor = tokens.headers(sub=str(person_id), org=str(organisation_id), roles=("counsellor",),
                                scopes=("referrals:read", "referrals:write"), client_id=None)
    yield app, {"organisation": organisation, "counsellor": counsellor,
                "operator": tokens.headers(roles=("operator",), scopes=("ops:read", "organisations:admin"))}
    runtime.engine.dispose()


def caller(path: str) -> str:
    if path.startswith("/v1/ops/"):
        return "operator"
    return "counsellor" if path.startswith(("/v1/notices", "/v1/me/")) else "organisation"


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_document(case, app_and_tokens):
    app, headers = app_and_tokens
    check_case(case, app, headers[caller(case.operation.path)])
