"""Schemathesis against accounts' own OpenAPI document (tests/support/fuzz.py): no input may
cause a 5xx, and every answer must match what the document says."""
from __future__ import annotations

import tempfile

import pytest

from accounts.app import create_app
from accounts.settings import AccountsSettings
from tests.accounts.conftest import Hub
from tests.support.fuzz import FUZZ_SETTINGS, check_case, openapi_schema

# The document does not depend on the database: read it from an app that never touches one.
schema = openapi_schema(create_app(AccountsSettings(database_url="sqlite://", var_dir=tempfile.mkdtemp())))


@pytest.fixture
def app_and_headers(hub: Hub):
    org = hub.create_org()  # something to find, patch and deactivate besides random ids
    hub.client.put(f"/v1/organisations/{org['id']}/services", headers=hub.operator(), json=[
        {"name": {"fi": "Ohjaus"}, "needs": ["employment"], "age_min": 15, "age_max": 29,
         "languages": ["fi"], "municipality_codes": ["245"], "capacity": "open"}])
    return hub.app, hub.operator()


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_document(case, app_and_headers):
    check_case(case, *app_and_headers)
