"""Fixtures every suite shares: signed test tokens and the real-server switch.

Real-server tests run when `HUB_TEST_AMQP_URL` / `HUB_TEST_POSTGRES_URL` are set; with
`HUB_TEST_REQUIRE_SERVERS=1` (CI) an unreachable server fails the test instead of skipping it.
"""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import TokenVerifier

TEST_ISSUER = "http://accounts.test"
TEST_AUDIENCE = "hub"


class TokenFactory:
    """Issues RS256 tokens like accounts does, for testing the other services in isolation."""

    def __init__(self):
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-" + uuid.uuid4().hex[:8]

    def issue(self, *, org: str | None = None, scopes: tuple[str, ...] = (), roles: tuple[str, ...] = (),
              sub: str | None = None, lifetime: int = 300, **extra) -> str:
        now = int(time.time())
        claims = {"iss": TEST_ISSUER, "aud": TEST_AUDIENCE, "sub": sub or f"client-{uuid.uuid4().hex[:8]}",
                  "iat": now, "exp": now + lifetime, "jti": uuid.uuid4().hex, "scope": " ".join(scopes),
                  "roles": list(roles), **extra}
        if org is not None:
            claims["org"] = org
        claims.setdefault("client_id", claims["sub"])
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def headers(self, **kwargs) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issue(**kwargs)}"}

    def verifier(self, is_revoked: Callable | None = None) -> TokenVerifier:
        public = self.private_key.public_key()
        return TokenVerifier(lambda kid: public if kid == self.kid else None, audience=TEST_AUDIENCE,
                             issuer=TEST_ISSUER, is_revoked=is_revoked)


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


def _require_servers() -> bool:
    return os.environ.get("HUB_TEST_REQUIRE_SERVERS") == "1"


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """RabbitMQ for real-mode tests: skipped locally without it, a failure in CI."""
    url = os.environ.get("HUB_TEST_AMQP_URL")
    if not url:
        if _require_servers():
            pytest.fail("HUB_TEST_REQUIRE_SERVERS=1 but HUB_TEST_AMQP_URL is not set")
        pytest.skip("HUB_TEST_AMQP_URL not set: real RabbitMQ tests run in CI")
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        if _require_servers():
            pytest.fail(f"RabbitMQ at {url} is unreachable: {exc}")
        pytest.skip(f"RabbitMQ unreachable: {exc}")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL server URL (without database) for real-mode tests."""
    url = os.environ.get("HUB_TEST_POSTGRES_URL")
    if not url:
        if _require_servers():
            pytest.fail("HUB_TEST_REQUIRE_SERVERS=1 but HUB_TEST_POSTGRES_URL is not set")
        pytest.skip("HUB_TEST_POSTGRES_URL not set: real PostgreSQL tests run in CI")
    import sqlalchemy as sa

    url = url.rstrip("/")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    try:
        engine = sa.create_engine(url + "/postgres")
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        if _require_servers():
            pytest.fail(f"PostgreSQL at {url} is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    return url


@pytest.fixture
def fresh_postgres_db(postgres_url) -> Callable[[str], str]:
    """Returns a function making a new empty database; dropped after the test."""
    import sqlalchemy as sa

    created = []

    def make(prefix: str) -> str:
        name = f"t_{prefix}_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(postgres_url + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        created.append(name)
        return f"{postgres_url}/{name}"

    yield make
    admin = sa.create_engine(postgres_url + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in created:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def wait_for(condition: Callable[[], object], timeout: float = 20.0, interval: float = 0.05, message: str = ""):
    """Poll `condition` until it returns a truthy value or the deadline passes (then fail)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {message or condition}")
        time.sleep(interval)


@pytest.fixture(params=["embedded", "real"])
def hub(request, tmp_path):
    """The whole hub as real processes, once on embedded defaults and once on RabbitMQ + PostgreSQL."""
    from tests.e2e.harness import hub_for_mode

    running = hub_for_mode(request, tmp_path, request.param)
    try:
        yield running.start()
    finally:
        running.stop()
