"""Schemathesis against the OpenAPI document: no input gives a 5xx or an undocumented answer.

`schemathesis.pytest.from_fixture` fails under pytest 9 (it reads the removed `Function._nodeid`),
so each operation's strategy is driven by hypothesis directly, with the app from this test's fixtures.
"""
from __future__ import annotations

import uuid

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from notifications.app import create_app
from notifications.bootstrap import build_runtime
from notifications.settings import NotificationsSettings


def test_every_operation_keeps_its_document(tmp_path, tokens):
    runtime = build_runtime(NotificationsSettings(var_dir=tmp_path, allow_private_urls=True))
    runtime.migrate()
    app = create_app(runtime=runtime, verifier=tokens.verifier())
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    headers = tokens.headers(org=str(uuid.uuid4()), scopes=("webhooks:manage",))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {"POST /v1/webhooks", "GET /v1/deliveries"}
    try:
        for operation in operations:
            @given(case=operation.as_strategy())
            @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def check(case):
                # Schema-valid is not always valid: a URL may resolve to a private address, a cursor
                # may be forged. Those are 422s by the contract, so that one check does not apply.
                case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

            check()
    finally:
        runtime.engine.dispose()
