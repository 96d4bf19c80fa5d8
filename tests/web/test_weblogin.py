"""shared.weblogin, the browser sign-in client: PKCE S256 against a fake accounts, state checks,
the session cookie's flags, expiry, roles, logout with CSRF, the secret key."""
from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from shared import weblogin
from tests.web.conftest import csrf_of, sign_in


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_login_redirects_to_authorize_with_pkce_s256_and_state(module_hub):
    client = module_hub.app.test_client()
    response = client.get("/auth/login?next=/referrals/new")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(module_hub.accounts.url + "/oauth/authorize?")
    query = query_of(location)
    assert query["response_type"] == "code" and query["client_id"] == "referrals-web"
    assert query["redirect_uri"] == "http://localhost/auth/callback"
    assert query["code_challenge_method"] == "S256" and len(query["state"]) >= 20
    with client.session_transaction() as session:
        verifier = session[weblogin.VERIFIER]
        assert session[weblogin.STATE] == query["state"]
    assert query["code_challenge"] == base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def test_the_callback_exchanges_the_code_with_the_verifier_and_goes_next(module_hub):
    client = module_hub.app.test_client()
    authorize = client.get("/auth/login?next=/statistics").headers["Location"]
    callback = httpx.post(authorize, data={"username": "aino"}).headers["Location"]
    response = client.get(callback.replace("http://localhost", ""))
    assert response.status_code == 302 and response.headers["Location"] == "/statistics"
    exchange = module_hub.accounts.token_requests[-1]
    assert exchange["grant_type"] == "authorization_code" and exchange["client_id"] == "referrals-web"
    assert exchange["redirect_uri"] == "http://localhost/auth/callback" and exchange["code_verifier"]
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = client.get("/")
    assert "Aino Ohjaaja" in page.text


def test_the_session_cookie_is_secure_over_https(module_hub):
    client = module_hub.app.test_client()
    response = client.get("/auth/login", base_url="https://referrals.example")
    assert "Secure" in response.headers["Set-Cookie"]
    assert query_of(response.headers["Location"])["redirect_uri"] == "https://referrals.example/auth/callback"


@pytest.mark.parametrize("tamper", ["state", "missing-code"])
def test_a_callback_with_a_wrong_state_or_without_a_code_signs_nobody_in(module_hub, tamper):
    client = module_hub.app.test_client()
    authorize = client.get("/auth/login").headers["Location"]
    callback = httpx.post(authorize, data={"username": "aino"}).headers["Location"]
    query = query_of(callback)
    if tamper == "state":
        query["state"] = "forged"
    else:
        del query["code"]
    response = client.get("/auth/callback", query_string=query)
    assert response.status_code == 400
    assert "Aino Ohjaaja" not in client.get("/").text


@pytest.mark.parametrize("next_", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_next_never_leaves_the_site(module_hub, next_):
    client = module_hub.app.test_client()
    authorize = client.get("/auth/login", query_string={"next": next_}).headers["Location"]
    callback = httpx.post(authorize, data={"username": "aino"}).headers["Location"]
    assert client.get(callback.replace("http://localhost", "")).headers["Location"] == "/"


def test_an_unverifiable_token_from_accounts_is_no_sign_in(module_hub, monkeypatch):
    client = module_hub.app.test_client()
    authorize = client.get("/auth/login").headers["Location"]
    callback = httpx.post(authorize, data={"username": "aino"}).headers["Location"]
    login_client = module_hub.app.extensions[weblogin.EXTENSION]
    monkeypatch.setattr(login_client, "exchange", lambda *args: ("not.a.jwt", "Aino Ohjaaja"))
    assert client.get(callback.replace("http://localhost", "")).status_code == 401
    assert "Aino Ohjaaja" not in client.get("/").text


def test_an_expired_token_sends_the_person_to_sign_in_again(module_hub, tokens):
    client = module_hub.app.test_client()
    expired = tokens.issue(org="11111111-1111-4111-8111-111111111111", roles=("counsellor",), lifetime=-60)
    with client.session_transaction() as session:
        session[weblogin.TOKEN] = expired
    response = client.get("/referrals/new?need=housing")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/referrals/new?need%3Dhousing"


def test_a_missing_role_is_a_403_page(module_hub):
    client = module_hub.app.test_client()
    sign_in(client, "olli")  # an operator: statistics yes, referral forms no
    response = client.get("/referrals/new")
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert client.get("/statistics").status_code == 200


def test_logout_needs_the_csrf_token_then_clears_the_session_and_goes_to_accounts(module_hub):
    client = module_hub.app.test_client()
    sign_in(client, "aino")
    page = client.get("/").text
    assert client.post("/auth/logout").status_code == 400
    assert "Aino Ohjaaja" in client.get("/").text
    response = client.post("/auth/logout", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(module_hub.accounts.url + "/oauth/logout?")
    assert query_of(location)["client_id"] == "referrals-web"
    assert "Aino Ohjaaja" not in client.get("/").text


def test_the_secret_key_comes_from_the_environment_or_a_file_made_once(tmp_path, monkeypatch):
    monkeypatch.setenv("REFERRALS_SECRET_KEY", "from-env")
    assert weblogin.secret_key("referrals", tmp_path) == "from-env"
    monkeypatch.delenv("REFERRALS_SECRET_KEY")
    first = weblogin.secret_key("referrals", tmp_path)
    assert len(first) >= 40 and weblogin.secret_key("referrals", tmp_path) == first
    assert (tmp_path / "referrals-secret-key").stat().st_mode & 0o777 == 0o600
