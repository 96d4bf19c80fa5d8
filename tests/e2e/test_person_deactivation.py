"""A deactivated person's token is refused by referrals within seconds, not only when it expires:
accounts emits person.deactivated, referrals keeps it in its people read model. Through real
processes, with a real person token from accounts' sign-in (invitation, password, TOTP, PKCE)."""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pyotp
import pytest

from tests.conftest import wait_for
from tests.e2e.harness import Hub
from tests.e2e.people import PASSWORD, invite

pytestmark = pytest.mark.e2e
DEADLINE = 30.0
CLIENT_ID = "referrals-web"  # the referrals web form, registered in accounts by the harness


def csrf(page: httpx.Response) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)


def signed_in_person(hub: Hub, operator: httpx.Client, org: str) -> tuple[str, str]:
    """Invite a counsellor, enrol them at the invitation link and sign them in as the referrals web
    form would; returns (person id, access token)."""
    invited = invite(hub, operator, org, "e2e.ohjaaja")
    browser = httpx.Client(base_url=hub.url("accounts"), timeout=10)  # keeps the session cookie
    link = urlsplit(invited.invitation_url).path
    page = browser.get(link)
    totp = pyotp.TOTP(re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.text).group(1).replace(" ", ""))
    enrolled = browser.post(link, data={"csrf_token": csrf(page), "password": PASSWORD, "password_again": PASSWORD,
                                        "code": totp.now()})
    assert enrolled.status_code == 200 and "error-summary" not in enrolled.text

    redirect_uri = hub.web_callback("referrals")
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    page = browser.get("/oauth/authorize", params={"response_type": "code", "client_id": CLIENT_ID,
                                                   "redirect_uri": redirect_uri, "state": "e2e",
                                                   "code_challenge": challenge, "code_challenge_method": "S256"})
    assert browser.post("/login", data={"csrf_token": csrf(page), "username": "e2e.ohjaaja",
                                        "password": PASSWORD}).status_code == 303
    page = browser.get("/login/totp")
    # The enrolment used this time step's code; the next step's is accepted (one step of drift).
    redirected = browser.post("/login/totp", data={"csrf_token": csrf(page), "code": totp.at(time.time() + 30)})
    assert redirected.status_code == 302, redirected.text
    code = parse_qs(urlsplit(redirected.headers["location"]).query)["code"][0]
    token = browser.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                               "redirect_uri": redirect_uri, "client_id": CLIENT_ID,
                                               "code_verifier": verifier})
    assert token.status_code == 200, token.text
    return invited.id, token.json()["access_token"]


def test_a_deactivated_persons_token_is_refused_by_referrals_before_it_expires(hub: Hub):
    operator = hub.operator_api()
    org = hub.create_organisation(operator, "Ohjaamo Tuusula", "ohjaamo")
    person_id, token = signed_in_person(hub, operator, org)
    referrals = hub.api("referrals", token)
    assert referrals.get("/v1/referrals").status_code == 200

    deactivated = operator.patch(f"/v1/organisations/{org}/people/{person_id}", json={"active": False})
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert hub.api("accounts", token).get("/v1/organisations").status_code == 401  # at once at accounts
    wait_for(lambda: referrals.get("/v1/referrals").status_code == 401, timeout=DEADLINE, interval=0.2,
             message="referrals still accepts the deactivated person's token")
    assert referrals.get("/v1/referrals").headers["content-type"].startswith("application/problem+json")
    # Refused by the event, not by expiry: the token would have lived on well past the deadline.
    expires_in = jwt.decode(token, options={"verify_signature": False})["exp"] - time.time()
    assert expires_in > DEADLINE
