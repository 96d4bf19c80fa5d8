"""Schemathesis against notifications' own OpenAPI document (tests/support/fuzz.py): no input may
cause a 5xx, and every answer must match what the document says. The operators' console paths are
called as an operator, the rest as an organisation's API client."""
from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import pytest

from notifications.app import create_app
from notifications.bootstrap import build_runtime
from notifications.settings import NotificationsSettings
from tests.conftest import TokenFactory
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
    yield app, organisation, tokens.headers(roles=("operator",), scopes=("ops:read", "organisations:admin"))
    runtime.engine.dispose()


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_document(case, app_and_tokens):
    app, organisation, operator = app_and_tokens
    check_case(case, app, operator if case.operation.path.startswith("/v1/ops/") else organisation)
