"""Schemathesis against a service's own OpenAPI document, in-process: no 5xx, every answer as documented.

Usage in a service's test module:

    schema = openapi_schema(create_app(<settings on an in-memory database>))   # the document only

    @schema.parametrize()
    @FUZZ_SETTINGS
    def test_api_answers_as_documented(case, app_and_headers):
        check_case(case, *app_and_headers)   # each example goes to the test's own app

(`schemathesis.pytest.from_fixture` does not work with pytest 9, hence the document from one app
and the calls to another.)
"""
from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

FUZZ_EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "25"))
FUZZ_SETTINGS = settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                         database=None)


def openapi_schema(app):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    # Unknown query parameters are ignored by design (lenient to clients), and the token is ours to give.
    schema.config.generation.update(allow_extra_parameters=False, with_security_parameters=False)
    return schema


def check_case(case, app, headers: dict[str, str]) -> None:
    # Schema-valid is not always acceptable: an unknown organisation id, a forged cursor or an identity
    # code with a wrong check digit are 422 by contract, which no JSON Schema can say; so the
    # "positive data must be accepted" check does not apply. Every other check does.
    case.call_and_validate(app=app, headers=headers, excluded_checks=[positive_data_acceptance])
