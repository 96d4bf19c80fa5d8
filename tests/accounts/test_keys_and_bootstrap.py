"""Signing keys (rotation with overlap, a key from a file) and the bootstrap operator client."""
from __future__ import annotations

from datetime import timedelta

import httpx
import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.__main__ import main as accounts_cli
from accounts.app import create_app
from accounts.clients import ensure_bootstrap_client, secret_matches
from accounts.keys import KeyStore
from accounts.models import ApiClient, SigningKey
from shared.auth import JwksKeySource, TokenVerifier
from shared.db import unit_of_work
from accounts.runtime import build_runtime
from tests.accounts.conftest import OPERATOR_ID, OPERATOR_SECRET, basic, bearer


def kids(hub) -> list[str]:
    return [key["kid"] for key in hub.client.get("/.well-known/jwks.json").json["keys"]]


def age_keys(hub, seconds: int) -> None:
    """Pretend every signing key was published `seconds` earlier than it was."""
    with unit_of_work(hub.runtime.sessions) as session:
        for key in session.scalars(sa.select(SigningKey)):
            key.created_at -= timedelta(seconds=seconds)


def fresh(hub):
    """Another worker (or a restart): an app with its own, empty key cache."""
    app = create_app(runtime=hub.runtime)
    return type(hub)(app, app.test_client(), hub.runtime)


def test_a_new_key_is_published_before_it_signs(hub):
    old_token = hub.token(OPERATOR_ID, OPERATOR_SECRET)
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    new_kid = KeyStore(hub.runtime.settings, hub.runtime.sessions).rotate()
    worker = fresh(hub)
    assert set(kids(worker)) == {old_kid, new_kid}
    assert jwt.get_unverified_header(worker.token(OPERATOR_ID, OPERATOR_SECRET))["kid"] == old_kid  # not yet

    age_keys(hub, hub.runtime.settings.key_activation_seconds)
    worker = fresh(hub)
    new_token = worker.token(OPERATOR_ID, OPERATOR_SECRET)
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    for token in (old_token, new_token):
        assert worker.client.get("/v1/organisations", headers=bearer(token)).status_code == 200


def test_tokens_of_both_keys_verify_at_another_service_during_the_overlap(hub):
    """Another service's verifier (JWKS over HTTP, cached) meets the new kid and refreshes."""
    old_token = hub.token(OPERATOR_ID, OPERATOR_SECRET)
    source = JwksKeySource("http://accounts.test/.well-known/jwks.json", min_refresh_interval=0,
                           client=httpx.Client(transport=httpx.WSGITransport(app=hub.app)))
    verifier = TokenVerifier(source, audience="hub", issuer="http://accounts.test")
    assert verifier.verify(old_token).subject == OPERATOR_ID  # caches the key set with the old key only

    new_kid = KeyStore(hub.runtime.settings, hub.runtime.sessions).rotate()
    age_keys(hub, hub.runtime.settings.key_activation_seconds)
    worker = fresh(hub)
    new_token = worker.token(OPERATOR_ID, OPERATOR_SECRET)
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    source._client = httpx.Client(transport=httpx.WSGITransport(app=worker.app))
    for token in (new_token, old_token, new_token):
        assert verifier.verify(token).subject == OPERATOR_ID


def test_retiring_the_old_key_removes_it_from_jwks(hub):
    old_token = hub.token(OPERATOR_ID, OPERATOR_SECRET)
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    store = KeyStore(hub.runtime.settings, hub.runtime.sessions)
    new_kid = store.rotate()
    with pytest.raises(ValueError, match="cannot be retired"):
        store.retire(old_kid)  # it still signs until the new key is active
    age_keys(hub, hub.runtime.settings.key_activation_seconds)
    store.retire(old_kid)
    worker = fresh(hub)
    assert kids(worker) == [new_kid]
    assert worker.client.get("/v1/organisations", headers=bearer(old_token)).status_code == 401


def test_cli_rotates_and_refuses_to_retire_the_current_key(hub, monkeypatch, capsys):
    monkeypatch.setenv("HUB_VAR_DIR", str(hub.runtime.settings.var_dir))
    hub.token(OPERATOR_ID, OPERATOR_SECRET)
    assert accounts_cli(["rotate-signing-key"]) == 0
    current = capsys.readouterr().out.split()[-1]
    assert accounts_cli(["retire-signing-key", current]) == 1
    assert "cannot be retired" in capsys.readouterr().err


def test_signing_key_from_a_pem_file(settings, tmp_path):
    migrated_runtime = build_runtime(settings)  # a fresh database: no generated key at all
    migrated_runtime.migrate()
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "signing.pem"
    path.write_bytes(private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    migrated_runtime.settings.signing_key_file = path
    client = create_app(runtime=migrated_runtime).test_client()
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        headers=basic(OPERATOR_ID, OPERATOR_SECRET)).json["access_token"]
    claims = jwt.decode(token, private_key.public_key(), algorithms=["RS256"], audience="hub")
    assert claims["sub"] == OPERATOR_ID
    assert client.get("/v1/organisations", headers=bearer(token)).status_code == 200
    assert migrated_runtime.engine.connect().execute(sa.text("SELECT count(*) FROM signing_keys")).scalar() == 0
    migrated_runtime.engine.dispose()


def test_bootstrap_is_idempotent_and_follows_a_changed_secret(hub):
    sessions = hub.runtime.sessions
    assert ensure_bootstrap_client(sessions, OPERATOR_ID, OPERATOR_SECRET) == "unchanged"
    create_app(runtime=hub.runtime)  # a second start (or gunicorn worker) changes nothing
    with sessions() as session:
        clients = session.scalars(sa.select(ApiClient)).all()
    assert [(c.client_id, c.roles, c.organisation_id) for c in clients] == [(OPERATOR_ID, ["operator"], None)]
    assert set(clients[0].scopes) == {"organisations:admin", "ops:read"}

    assert ensure_bootstrap_client(sessions, OPERATOR_ID, "a-new-secret") == "updated"
    with sessions() as session:
        assert secret_matches(session.get(ApiClient, OPERATOR_ID).secret_hash, "a-new-secret")
    response = hub.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                               headers=basic(OPERATOR_ID, OPERATOR_SECRET))
    assert response.status_code == 401


def test_migrate_command_creates_the_bootstrap_client(tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ACCOUNTS_BOOTSTRAP_CLIENT_ID", "from-env")
    monkeypatch.setenv("ACCOUNTS_BOOTSTRAP_CLIENT_SECRET", "env-secret-env-secret")
    assert accounts_cli(["migrate"]) == 0
    assert accounts_cli(["migrate"]) == 0
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'accounts.sqlite'}")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT client_id, roles FROM api_clients")).all() == \
            [("from-env", '["operator"]')]
    engine.dispose()
