"""Schemathesis against the referrals OpenAPI document, in-process: no 5xx, every response as documented.

schemathesis.pytest.from_fixture does not work with pytest 9 here ('Function' has no '_nodeid'),
so the app under test is built when the module is collected, in a temporary directory.
"""
from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from referrals.app import create_app
from referrals.bootstrap import build_runtime
from referrals.settings import ReferralsSettings
from tests.conftest import TokenFactory
from tests.referrals.conftest import deliver, organisation_event, referral_body

SENDER, RECEIVER = uuid.uuid4(), uuid.uuid4()
TOKENS = TokenFactory()


def _app():
    var_dir = Path(tempfile.mkdtemp(prefix="referrals-fuzz-"))
    runtime = build_runtime(ReferralsSettings(var_dir=var_dir, database_url=f"sqlite:///{var_dir / 'r.sqlite'}",
                                              broker_url=f"sqla+sqlite:///{var_dir / 'broker.sqlite'}"))
    runtime.migrate()
    for organisation_id in (SENDER, RECEIVER):
        deliver(runtime, organisation_event(organisation_id))
    app = create_app(runtime.settings, verifier=TOKENS.verifier(), runtime=runtime)
    created = app.test_client().post("/v1/referrals", json=referral_body(RECEIVER), headers=_headers())
    assert created.status_code == 201
    return app


def _headers():
    return TOKENS.headers(org=str(SENDER), scopes=("referrals:read", "referrals:write"), roles=("org_admin",))


schema = schemathesis.openapi.from_wsgi("/openapi.json", _app())
# Unknown query parameters are ignored by design (lenient to clients), not rejected.
schema.config.generation.update(allow_extra_parameters=False)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_as_documented(case):
    # Schema-valid is not always acceptable here: an unknown receiver id, a forged cursor or an
    # identity code with a wrong check digit are 422 by design, and no JSON Schema can say so.
    case.call_and_validate(headers=_headers(), excluded_checks=[positive_data_acceptance])
