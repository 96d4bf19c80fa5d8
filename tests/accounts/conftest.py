"""accounts test fixtures: a migrated app per test, real tokens from its own /oauth/token."""
from __future__ import annotations

import base64
import json
import shutil
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from accounts.app import create_app, ensure_bootstrap_client_if_configured
from accounts.keys import KeyStore
from accounts.runtime import build_runtime
from accounts.settings import AccountsSettings

OPERATOR_ID, OPERATOR_SECRET = "operator-bootstrap", "bootstrap-secret-for-tests"
VALID_YTUNNUS, INVALID_YTUNNUS = "0112038-9", "0112038-8"


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Hub:
    """The app under test and shortcuts for the steps most tests need."""

    app: object
    client: object
    runtime: object

    def token(self, client_id: str, secret: str, **form) -> str:
        response = self.client.post("/oauth/token", data={"grant_type": "client_credentials", **form},
                                    headers=basic(client_id, secret))
        assert response.status_code == 200, response.json
        return response.json["access_token"]

    def operator(self) -> dict[str, str]:
        return bearer(self.token(OPERATOR_ID, OPERATOR_SECRET))

    def create_org(self, headers=None, **fields) -> dict:
        body = {"name": {"fi": "Ohjaamo Kerava", "sv": "Ohjaamo Kervo"}, "type": "ohjaamo",
                "municipality_codes": ["245"], **fields}
        response = self.client.post("/v1/organisations", json=body, headers=headers or self.operator())
        assert response.status_code == 201, response.json
        return response.json

    def create_client(self, org_id: str, scopes=("referrals:read", "referrals:write"), headers=None) -> dict:
        response = self.client.post(f"/v1/organisations/{org_id}/api-clients",
                                    json={"name": "Kerava CRM", "scopes": list(scopes)},
                                    headers=headers or self.operator())
        assert response.status_code == 201, response.json
        return response.json

    def outbox(self) -> list[dict]:
        outbox = self.runtime.tables.outbox
        with self.runtime.engine.connect() as connection:
            rows = connection.execute(sa.select(outbox).order_by(outbox.c.position)).mappings().all()
        return [{**row, "data": json.loads(row["payload"])} for row in rows]

    def count(self, table: str) -> int:
        with self.runtime.engine.connect() as connection:
            return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def make_settings(var_dir) -> AccountsSettings:
    return AccountsSettings(var_dir=var_dir, bootstrap_client_id=OPERATOR_ID,
                            bootstrap_client_secret=OPERATOR_SECRET, issuer="http://accounts.test",
                            accounts_url="http://accounts.test")


@pytest.fixture
def settings(tmp_path) -> AccountsSettings:
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """One migrated database (bootstrap client and first signing key included), copied per test:
    migrating and generating an RSA key for every test would dominate the suite's time."""
    var_dir = tmp_path_factory.mktemp("accounts-template")
    runtime = build_runtime(make_settings(var_dir))
    runtime.migrate()
    ensure_bootstrap_client_if_configured(runtime)
    KeyStore(runtime.settings, runtime.sessions).current()
    runtime.engine.dispose()  # the last connection checkpoints the WAL into the file
    return var_dir


@pytest.fixture
def migrated_runtime(settings, migrated_template):
    for name in ("accounts.sqlite", "accounts-keys.txt"):
        shutil.copy(migrated_template / name, settings.var_dir / name)
    runtime = build_runtime(settings)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def hub(migrated_runtime) -> Hub:
    """accounts verifying its own tokens (the production wiring)."""
    app = create_app(runtime=migrated_runtime)
    return Hub(app, app.test_client(), migrated_runtime)


@pytest.fixture
def test_token_hub(migrated_runtime, tokens) -> Hub:
    """accounts accepting the TokenFactory's tokens: for people (org_admin, counsellor) that no
    endpoint of accounts issues tokens to yet."""
    app = create_app(runtime=migrated_runtime, verifier=tokens.verifier())
    return Hub(app, app.test_client(), migrated_runtime)
