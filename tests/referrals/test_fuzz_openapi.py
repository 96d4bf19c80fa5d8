"""Schemathesis against the referrals OpenAPI document (tests/support/fuzz.py): no 5xx, every
answer as documented. Each operation is fuzzed against an app of its own with two organisations
and a referral between them, called as the sender's admin."""
from __future__ import annotations

import pytest

from referrals.app import create_app
from referrals.bootstrap import build_runtime
from referrals.settings import ReferralsSettings
from tests.conftest import TokenFactory
from tests.referrals.conftest import referral_body
from tests.support.fuzz import FUZZ_SETTINGS, check_case, openapi_schema


def _document_app(tmp_dir: str):
    settings = ReferralsSettings(var_dir=tmp_dir, database_url="sqlite:///:memory:",
                                 broker_url=f"sqla+sqlite:///{tmp_dir}/broker.sqlite")
    return create_app(settings, verifier=TokenFactory().verifier(), runtime=build_runtime(settings))


def _schema():
    import tempfile

    return openapi_schema(_document_app(tempfile.mkdtemp(prefix="referrals-openapi-")))


schema = _schema()


@pytest.fixture
def app_and_headers(app, client, orgs, as_org):
    headers = as_org(orgs.sender, roles=("org_admin",))
    created = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=headers)
    assert created.status_code == 201
    return app, headers


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_answers_as_documented(case, app_and_headers):
    check_case(case, *app_and_headers)
