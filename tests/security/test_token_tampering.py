"""Every service refuses tampered, forged, expired and misdirected tokens (against the real processes)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.harness import Hub

PROTECTED = {"accounts": "/v1/organisations", "referrals": "/v1/referrals", "notifications": "/v1/webhooks"}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = Hub(tmp_path_factory.mktemp("security")).start()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def genuine(hub):
    """A real token of an organisation's API client, and its decoded parts."""
    operator = hub.operator_api()
    organisation = hub.create_organisation(operator, "Ohjaamo Mäntsälä", "ohjaamo")
    token = hub.client_token(operator, organisation)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    return token, header, claims


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _hmac_signed(body: str, kid: str, secret: bytes) -> str:
    """The algorithm-confusion attack: HMAC over the token with the server's public key as the secret."""
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{body}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def _forged_key_token(claims: dict, kid: str) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, other, algorithm="RS256", headers={"kid": kid})


def tampered_tokens(hub: Hub, token: str, header: dict, claims: dict) -> dict[str, str]:
    head, body, signature = token.split(".")
    now = int(time.time())
    public_pem = httpx.get(hub.url("accounts") + "/.well-known/jwks.json").json()["keys"][0]
    public_key = jwt.PyJWK(public_pem).key.public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': header['kid']})}.{body}.",
        "HS256 with the public key as secret": _hmac_signed(body, header["kid"], public_key),
        "another organisation in the payload": f"{head}.{_b64({**claims, 'org': str(uuid.uuid4())})}.{signature}",
        "operator role added to the payload": f"{head}.{_b64({**claims, 'roles': ['operator']})}.{signature}",
        "signed by a different key with the real kid": _forged_key_token(claims, header["kid"]),
        "unknown kid": _forged_key_token(claims, "no-such-key"),
        "expired": _forged_key_token({**claims, "exp": now - 3600}, header["kid"]),
        "garbage": "not.a.jwt",
    }


@pytest.mark.parametrize("service", sorted(PROTECTED))
def test_genuine_token_is_accepted(hub, genuine, service):
    token, _, _ = genuine
    response = httpx.get(hub.url(service) + PROTECTED[service], headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("service", sorted(PROTECTED))
def test_tampered_tokens_are_refused(hub, genuine, service):
    for case, bad in tampered_tokens(hub, *genuine).items():
        response = httpx.get(hub.url(service) + PROTECTED[service], headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, f"{service} accepted a token with {case}: {response.status_code}"
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("service", sorted(PROTECTED))
def test_token_edited_for_another_audience_or_issuer_is_refused(hub, genuine, service):
    """(A correctly signed token for another audience or issuer is refused too: tests/shared/test_auth.py.)"""
    token, header, claims = genuine
    for claim, value in (("aud", "some-other-api"), ("iss", "https://evil.example")):
        head, _, signature = token.split(".")
        bad = f"{head}.{_b64({**claims, claim: value})}.{signature}"
        response = httpx.get(hub.url(service) + PROTECTED[service], headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401


@pytest.mark.parametrize("service", sorted(PROTECTED))
def test_every_answer_carries_security_headers(hub, service):
    for path in ("/healthz", PROTECTED[service], "/no-such-page"):
        response = httpx.get(hub.url(service) + path)
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
