"""shared.auth.TokenVerifier: the checks every service relies on, claim by claim."""
from __future__ import annotations

import time

import jwt
import pytest

from shared.problems import ProblemError
from tests.conftest import TEST_AUDIENCE, TEST_ISSUER


def _token(tokens, **overrides) -> str:
    now = int(time.time())
    claims = {"iss": TEST_ISSUER, "aud": TEST_AUDIENCE, "sub": "c1", "iat": now, "exp": now + 60, "jti": "j1",
              "scope": "referrals:read", "roles": [], "org": "o1", "client_id": "c1"}
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, tokens.private_key, algorithm="RS256",
                      headers={"kid": tokens.kid})


def test_a_valid_token_gives_its_principal(tokens):
    principal = tokens.verifier().verify(_token(tokens))
    assert principal.organisation_id == "o1" and principal.scopes == {"referrals:read"}
    assert not principal.is_operator


@pytest.mark.parametrize("overrides", [
    {"aud": "another-api"}, {"iss": "https://evil.example"}, {"exp": int(time.time()) - 120},
    {"jti": None}, {"sub": None}, {"exp": None},
], ids=["audience", "issuer", "expired", "no jti", "no sub", "no exp"])
def test_wrong_or_missing_claims_are_refused(tokens, overrides):
    with pytest.raises(ProblemError) as refused:
        tokens.verifier().verify(_token(tokens, **overrides))
    assert refused.value.status == 401


def test_revoked_principal_is_refused(tokens):
    verifier = tokens.verifier(is_revoked=lambda principal: principal.client_id == "c1")
    with pytest.raises(ProblemError) as refused:
        verifier.verify(_token(tokens))
    assert refused.value.status == 401 and "revoked" in refused.value.detail
