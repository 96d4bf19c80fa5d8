"""People of an e2e hub, as accounts really makes them: invited through the operator's API, enrolled
at the invitation link (password and an authenticator app), and signed in with both factors.

Shared by the e2e tests that need a real person's sign-in: over plain HTTP (a token for the APIs)
or in Chromium (the web forms, as a counsellor uses them).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

import httpx
import pyotp

from tests.conftest import wait_for
from tests.e2e.harness import Hub

PASSWORD = "pitkä salasana kesäpäivänä"
TOTP_STEP_SECONDS = 30


@dataclass(frozen=True)
class Invited:
    id: str
    username: str
    invitation_url: str  # absolute, at this hub's accounts
    name: str = ""


def invite(hub: Hub, operator: httpx.Client, organisation_id: str, username: str, *, name: str = "E2E Ohjaaja",
           role: str = "counsellor") -> Invited:
    """A new person of the organisation, invited by the operator (accounts answers with the link)."""
    response = operator.post(f"/v1/organisations/{organisation_id}/people",
                             json={"username": username, "name": name, "role": role})
    assert response.status_code == 201, response.text
    body = response.json()
    return Invited(body["id"], username, hub.url("accounts") + urlsplit(body["invitation_url"]).path, name)


def publish_service(operator: httpx.Client, organisation_id: str, *, name: str, needs: list[str],
                    languages: list[str], municipality_codes: list[str]) -> None:
    """The organisation's one entry in accounts' service directory, so senders can find it."""
    response = operator.put(f"/v1/organisations/{organisation_id}/services", json=[{
        "name": {"fi": name}, "needs": needs, "languages": languages, "municipality_codes": municipality_codes,
        "age_min": 15, "age_max": 29, "capacity": "open"}])
    assert response.status_code == 200, response.text


@dataclass
class Authenticator:
    """The person's authenticator app. accounts accepts a code once per 30-second time step (a
    replay is refused), so a second code waits for the next step, as the person would."""

    key: str
    last_step: int | None = field(default=None)

    @classmethod
    def from_shown_key(cls, text: str) -> "Authenticator":
        """The key as the invitation page shows it: base32 in groups of four."""
        key = re.sub(r"\s+", "", text)
        assert re.fullmatch(r"[A-Z2-7]{16,}", key), f"not a TOTP key: {text!r}"
        return cls(key)

    def code(self, timeout: float = TOTP_STEP_SECONDS + 10) -> str:
        totp = pyotp.TOTP(self.key)
        self.last_step = wait_for(lambda: self._fresh_step(totp), timeout=timeout, interval=0.2,
                                  message="the authenticator's next time step")
        return totp.generate_otp(self.last_step)

    def _fresh_step(self, totp: pyotp.TOTP) -> int | None:
        step = totp.timecode(datetime.now(timezone.utc))
        return step if self.last_step is None or step > self.last_step else None


# -- in Chromium (Playwright pages) -------------------------------------------------------------

def enrol_in_browser(page, invited: Invited, password: str = PASSWORD) -> Authenticator:
    """Open the invitation, choose the password, add the shown key to the 'app' and confirm with its code."""
    page.goto(invited.invitation_url)
    authenticator = Authenticator.from_shown_key(page.inner_text("code.secret"))
    page.fill("#password", password)
    page.fill("#password_again", password)
    page.fill("#code", authenticator.code())
    page.click("main button[type=submit]")
    assert page.locator(".error-summary").count() == 0, page.inner_text("main")
    return authenticator


def sign_in_in_browser(page, hub: Hub, invited: Invited, authenticator: Authenticator,
                       password: str = PASSWORD) -> None:
    """From referrals' front page through accounts' two steps and back, signed in."""
    referrals = hub.url("referrals")
    page.goto(referrals + "/")
    page.click("main a.button")
    page.wait_for_url(hub.url("accounts") + "/oauth/authorize?*")
    page.fill("#username", invited.username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(hub.url("accounts") + "/login/totp")
    page.fill("#code", authenticator.code())
    page.click("main button[type=submit]")
    page.wait_for_url(referrals + "/")
