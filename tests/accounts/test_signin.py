"""People's sign-in: invitation, password + TOTP, the authorization-code flow with PKCE, lockout,
sessions that end, and the token a person gets."""
from __future__ import annotations

import html
import re
import time
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pyotp
import pytest
import segno
import sqlalchemy as sa

from accounts import people, signin
from accounts.keys import KeyStore
from accounts.models import AuthorizationCode, Person, WebSession
from shared.db import unit_of_work, utcnow
from tests.accounts.conftest import bearer

CLIENT_ID, REDIRECT_URI = "referrals-web", "http://127.0.0.1:8002/auth/callback"
PASSWORD = "pitkä salasana kesäpäivänä"
VERIFIER = "v" * 20 + "-._~" + "A1" * 12


def csrf(response) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text).group(1)


def authorize_url(verifier: str = VERIFIER, **overrides) -> str:
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "state": "st-1",
              "code_challenge": signin.s256(verifier), "code_challenge_method": "S256", **overrides}
    return "/oauth/authorize?" + "&".join(f"{key}={value}" for key, value in params.items() if value is not None)


@pytest.fixture
def person(hub):
    """An enrolled counsellor of a fresh organisation: username, password, TOTP secret, ids."""
    org = hub.create_org()
    secret = people.new_totp_secret()
    with unit_of_work(hub.runtime.sessions) as session:
        row = people.add_person(hub.runtime, session, organisation_id=uuid.UUID(org["id"]),
                                role="counsellor", username="aino.ohjaaja", name="Aino Ohjaaja")
        people.enrol(session, KeyStore(hub.runtime.settings, hub.runtime.sessions).keyring(), row, PASSWORD, secret)
    return {"id": str(row.id), "org": org["id"], "username": "aino.ohjaaja", "secret": secret}


def code_at(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def password_step(hub, username: str, password: str):
    page = hub.client.get(authorize_url())
    return hub.client.post("/login", data={"csrf_token": csrf(page), "username": username, "password": password})


def totp_step(hub, code: str):
    page = hub.client.get("/login/totp")
    return hub.client.post("/login/totp", data={"csrf_token": csrf(page), "code": code})


def sign_in(hub, person) -> str:
    """The whole browser part; returns the code from the redirect."""
    assert password_step(hub, person["username"], PASSWORD).status_code == 303
    response = totp_step(hub, code_at(person["secret"]))
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.location).query)
    assert response.location.startswith(REDIRECT_URI + "?") and query["state"] == ["st-1"]
    return query["code"][0]


def exchange(hub, code: str, verifier: str = VERIFIER, **overrides):
    return hub.client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                                 "redirect_uri": REDIRECT_URI, "client_id": CLIENT_ID,
                                                 "code_verifier": verifier, **overrides})


def test_full_flow_gives_a_person_token_and_single_sign_on(hub, person):
    page = hub.client.get(authorize_url())
    assert page.status_code == 200 and '<html lang="fi">' in page.text
    assert '<label for="username">Käyttäjätunnus</label>' in page.text and 'autocomplete="current-password"' in page.text
    code = sign_in(hub, person)
    response = exchange(hub, code)
    assert response.status_code == 200, response.json
    assert response.json["token_type"] == "Bearer" and response.json["scope"] == "referrals:read referrals:write"
    claims = jwt.decode(response.json["access_token"], options={"verify_signature": False})
    assert claims["sub"] == person["id"] and claims["org"] == person["org"] and claims["roles"] == ["counsellor"]
    assert claims["amr"] == ["pwd", "otp"] and claims["azp"] == CLIENT_ID and claims["aud"] == "hub"
    assert "name" not in claims and "client_id" not in claims
    assert response.json["name"] == "Aino Ohjaaja"  # for the page header: beside the token, never in it
    assert hub.client.get("/v1/organisations", headers=bearer(response.json["access_token"])).status_code == 200

    again = hub.client.get(authorize_url(state="st-2"))  # signed in already: a code at once
    assert again.status_code == 302 and parse_qs(urlsplit(again.location).query)["state"] == ["st-2"]


@pytest.mark.parametrize("role, scope", [
    ("org_admin", "referrals:read referrals:write organisations:admin webhooks:manage"),
    ("operator", "organisations:admin ops:read"),
])
def test_scopes_follow_the_role(hub, person, role, scope):
    with unit_of_work(hub.runtime.sessions) as session:
        row = session.get(Person, uuid.UUID(person["id"]))
        row.role, row.organisation_id = role, (row.organisation_id if role != "operator" else None)
    token = exchange(hub, sign_in(hub, person)).json
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert set(token["scope"].split()) == set(scope.split()) and claims["roles"] == [role]
    assert ("org" in claims) == (role != "operator")


def test_pkce_mismatch_and_code_reuse_are_refused(hub, person):
    code = sign_in(hub, person)
    wrong = exchange(hub, code, verifier="w" * 43)
    assert wrong.status_code == 400 and wrong.json["error"] == "invalid_grant"
    assert exchange(hub, code).json["error"] == "invalid_grant"  # the failed attempt used the code up


def test_a_code_is_single_use_and_bound_to_client_and_redirect(hub, person):
    code = sign_in(hub, person)
    assert exchange(hub, code, redirect_uri="http://127.0.0.1:8002/other").json["error"] == "invalid_grant"
    code = hub.client.get(authorize_url()).location  # still signed in: another code
    code = parse_qs(urlsplit(code).query)["code"][0]
    assert exchange(hub, code).status_code == 200
    assert exchange(hub, code).json["error"] == "invalid_grant"
    other = parse_qs(urlsplit(hub.client.get(authorize_url()).location).query)["code"][0]
    assert exchange(hub, other, client_id="notifications-web").json["error"] == "invalid_grant"
    assert exchange(hub, "x", client_id="unknown-web").status_code == 401


def test_an_expired_code_is_refused(hub, person):
    code = sign_in(hub, person)
    with unit_of_work(hub.runtime.sessions) as session:
        session.execute(sa.update(AuthorizationCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert exchange(hub, code).json == {"error": "invalid_grant", "error_description": "The code has expired."}


def test_no_code_without_the_second_factor(hub, person):
    assert password_step(hub, person["username"], PASSWORD).status_code == 303
    pending = hub.client.get(authorize_url())  # password only: the sign-in page again, no code
    assert pending.status_code == 200 and "code=" not in (pending.location or "")
    assert totp_step(hub, "000000").status_code == 200
    with hub.runtime.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuthorizationCode)) == 0
        assert session.scalar(sa.select(WebSession.stage)) == "password"


def test_five_failures_lock_the_person_for_fifteen_minutes(hub, person):
    for _ in range(people.MAX_FAILED_LOGINS):
        response = password_step(hub, person["username"], "väärä salasana tämä on")
        assert response.status_code == 200 and "error-summary" in response.text
    locked = password_step(hub, person["username"], PASSWORD)
    assert locked.status_code == 200 and "lukittu" in locked.text
    with hub.runtime.sessions() as session:
        until = session.scalar(sa.select(Person.locked_until))
    assert timedelta(minutes=14) < until - utcnow() <= timedelta(minutes=15)
    listed = hub.client.get(f"/v1/organisations/{person['org']}/people", headers=hub.operator()).json["items"]
    assert listed[0]["locked_until"] is not None


def test_wrong_totp_codes_count_towards_the_lockout(hub, person):
    assert password_step(hub, person["username"], PASSWORD).status_code == 303
    for _ in range(people.MAX_FAILED_LOGINS):
        response = totp_step(hub, "000000")
    assert "lukittu" in response.text
    assert hub.client.get("/login/totp").status_code == 303  # the half-done session has ended


def test_a_totp_code_is_accepted_once(hub, person):
    code = code_at(person["secret"])
    sign_in(hub, person)
    hub.client.get("/oauth/logout")
    assert password_step(hub, person["username"], PASSWORD).status_code == 303
    assert totp_step(hub, code).status_code == 200  # replayed: refused


def test_an_idle_session_expires(hub, person):
    sign_in(hub, person)
    with unit_of_work(hub.runtime.sessions) as session:
        session.execute(sa.update(WebSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    response = hub.client.get(authorize_url())
    assert response.status_code == 200 and 'action="/login"' in response.text


def test_a_session_ends_at_its_absolute_limit(hub, person):
    sign_in(hub, person)
    with unit_of_work(hub.runtime.sessions) as session:
        session.execute(sa.update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert hub.client.get(authorize_url()).status_code == 200


def test_sign_out_ends_the_session(hub, person):
    sign_in(hub, person)
    assert hub.client.get(authorize_url()).status_code == 302
    hub.client.get("/oauth/logout")
    assert hub.client.get(authorize_url()).status_code == 200


def test_logout_redirects_only_to_a_registered_web_client(hub):
    assert hub.client.get("/oauth/logout?post_logout_redirect_uri=http://127.0.0.1:8002/").location == \
        "http://127.0.0.1:8002/"
    page = hub.client.get("/oauth/logout?post_logout_redirect_uri=https://evil.example/")
    assert page.status_code == 200 and page.location is None


@pytest.mark.parametrize("overrides, error", [
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
])
def test_authorize_requires_code_flow_with_s256(hub, overrides, error):
    response = hub.client.get(authorize_url(**overrides))
    assert response.status_code == 302 and response.location.startswith(REDIRECT_URI)
    assert parse_qs(urlsplit(response.location).query)["error"] == [error]


@pytest.mark.parametrize("overrides", [{"redirect_uri": "https://evil.example/cb"}, {"client_id": "unknown"}])
def test_an_unregistered_client_or_redirect_is_never_redirected_to(hub, overrides):
    response = hub.client.get(authorize_url(**overrides))
    assert response.status_code == 400 and response.location is None and response.mimetype == "text/html"


def test_pages_speak_finnish_swedish_and_english_with_csp_allowing_the_clients(hub):
    assert '<html lang="sv">' in hub.client.get(authorize_url(), headers={"Accept-Language": "sv-FI,sv;q=0.9"}).text
    english = hub.client.get(authorize_url(lang="en"))
    assert '<html lang="en">' in english.text and "Username" in english.text
    assert '<html lang="en">' in hub.client.get("/login").text  # the choice is remembered
    csp = english.headers["Content-Security-Policy"]
    assert "form-action 'self' http://127.0.0.1:8002 http://127.0.0.1:8003" in csp
    assert english.headers["X-Content-Type-Options"] == "nosniff"


def test_a_post_without_the_csrf_token_signs_nobody_in(hub, person):
    hub.client.get(authorize_url())
    response = hub.client.post("/login", data={"username": person["username"], "password": PASSWORD})
    assert response.status_code == 200 and "error-summary" in response.text
    assert hub.count("web_sessions") == 0


def test_invitation_sets_password_and_totp_once(hub):
    operator = hub.operator()
    org = hub.create_org()
    invited = hub.client.post(f"/v1/organisations/{org['id']}/people", headers=operator,
                              json={"username": "Uusi.Ohjaaja", "name": "Uusi Ohjaaja", "role": "counsellor"})
    assert invited.status_code == 201, invited.json
    assert invited.json["username"] == "uusi.ohjaaja" and invited.json["enrolled"] is False
    link = urlsplit(invited.json["invitation_url"]).path
    page = hub.client.get(link)
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.text).group(1).replace(" ", "")
    otpauth = html.unescape(re.search(r'href="(otpauth://[^"]+)"', page.text).group(1))
    assert secret in otpauth
    # The QR code encodes exactly that URI (its modules drawn as one SVG path), and is named for screen readers.
    qr = re.search(r'<svg role="img" aria-label="QR-koodi[^"]*"[^>]*>.*?</svg>', page.text, re.S).group(0)
    expected = segno.make(otpauth, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff")
    assert re.findall(r' d="([^"]+)"', qr) == re.findall(r' d="([^"]+)"', expected)
    weak = hub.client.post(link, data={"csrf_token": csrf(page), "password": "lyhyt", "password_again": "lyhyt",
                                       "code": pyotp.TOTP(secret).now()})
    assert weak.status_code == 200 and "vähintään 12 merkkiä" in weak.text
    done = hub.client.post(link, data={"csrf_token": csrf(page), "password": PASSWORD, "password_again": PASSWORD,
                                       "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "Tunnus on käytössä" in done.text
    assert hub.client.get(link).status_code == 404
    listed = hub.client.get(f"/v1/organisations/{org['id']}/people", headers=operator).json["items"]
    assert listed[0]["enrolled"] is True
    enrolled = {"username": "uusi.ohjaaja", "secret": secret}
    assert password_step(hub, enrolled["username"], PASSWORD).status_code == 303
    assert totp_step(hub, code_at(secret, 1)).status_code == 302


def test_a_deactivated_persons_token_is_refused_and_sessions_end(hub, person):
    token = exchange(hub, sign_in(hub, person)).json["access_token"]
    response = hub.client.patch(f"/v1/organisations/{person['org']}/people/{person['id']}", json={"active": False},
                                headers=hub.operator())
    assert response.status_code == 200 and response.json["active"] is False
    assert hub.client.get("/v1/organisations", headers=bearer(token)).status_code == 401
    assert hub.client.get(authorize_url()).status_code == 200  # signed out
    actions = [e["action"] for e in hub.client.get("/v1/audit-log", headers=hub.operator()).json["items"]]
    assert actions[0] == "person.deactivated"


def test_people_of_a_deactivated_organisation_cannot_sign_in(hub, person):
    code = sign_in(hub, person)
    assert hub.client.post(f"/v1/organisations/{person['org']}/deactivate", headers=hub.operator()).status_code == 200
    assert exchange(hub, code).json["error"] == "invalid_grant"
    hub.client.get("/oauth/logout")
    assert password_step(hub, person["username"], PASSWORD).status_code == 200  # refused like a wrong password
