"""Schemathesis against accounts' own OpenAPI document, in-process: no input may cause a 5xx,
and every answer must match what the document says."""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from accounts.app import create_app
from accounts.settings import AccountsSettings
from tests.accounts.conftest import Hub

# The document does not depend on the database: read it from an app that never touches one.
# Each example then goes to the test's own app (`app=`): schemathesis.pytest.from_fixture does
# not work with pytest 9.
schema = schemathesis.openapi.from_wsgi("/openapi.json", create_app(AccountsSettings(database_url="sqlite://")))
# Unknown query parameters are ignored by design (not "negative data"); the token is ours to give.
schema.config.generation.update(allow_extra_parameters=False, with_security_parameters=False)


@pytest.fixture
def fuzzed(hub: Hub) -> tuple[Hub, dict[str, str]]:
    hub.create_org()  # something to find, patch and deactivate besides random ids
    return hub, hub.operator()


@schema.parametrize()
@settings(max_examples=int(os.environ.get("HUB_FUZZ_EXAMPLES", "25")), deadline=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, fuzzed):
    hub, headers = fuzzed
    # Schema-valid is not always acceptable: an unknown parent_id or a cursor that no page gave
    # answer 422 by contract, which the positive-data check would count as a failure.
    case.call_and_validate(app=hub.app, headers=headers, excluded_checks=[positive_data_acceptance])
