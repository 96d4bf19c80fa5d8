"""Two counsellors of two organisations hand a referral over in real Chromium, signed in through the
real accounts (invitation, password, authenticator code), and accounts' own pages pass axe-core in
each language.

The whole hub runs as real processes on embedded defaults only: the browser's part is the same on
PostgreSQL and RabbitMQ, whose handover test_handover.py proves through the API, and a second hub
would double the module's time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import pytest

from tests.conftest import wait_for
from tests.e2e.harness import Hub
from tests.e2e.people import (PASSWORD, Authenticator, Invited, enrol_in_browser, invite, publish_service,
                              sign_in_in_browser)
from tests.web.browser import assert_accessible, browser_context, fill_valid_referral, running_chromium  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
DEADLINE = 30.0
RECEIVER_SERVICE = "Nuorten työllisyyspalvelut"
REFERRAL_URL = re.compile(r"/referrals/[0-9a-f-]{36}$")


@pytest.fixture(scope="module")
def chromium():
    """The process's one Chromium (shared with tests/web: two Playwright instances cannot run at once)."""
    with running_chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def embedded_hub(tmp_path_factory):
    running = Hub(tmp_path_factory.mktemp("hub"))
    try:
        yield running.start()
    finally:
        running.stop()


@dataclass(frozen=True)
class Counsellor:
    person: Invited
    authenticator: Authenticator


@dataclass(frozen=True)
class Network:
    hub: Hub
    operator: httpx.Client
    sender_org: str
    receiver_org: str
    sender: Counsellor
    receiver: Counsellor


@pytest.fixture(scope="module")
def network(embedded_hub: Hub, chromium) -> Network:
    """Two organisations in the service directory, made by the operator, and one counsellor in each
    who has taken the invitation into use in the browser (password and authenticator app).

    Enrolled here, at the module's start: the enrolment's code may not sign in again, so a sign-in
    right after it waits for the authenticator's next 30-second step; by the handover it has passed."""
    hub, operator = embedded_hub, embedded_hub.operator_api()
    sender_org = hub.create_organisation(operator, "Ohjaamo Kerava", "ohjaamo")
    receiver_org = hub.create_organisation(operator, "Keski-Uudenmaan työllisyysalue", "employment_area")
    publish_service(operator, sender_org, name="Ohjaamon ohjaus", needs=["education", "everyday_life"],
                    languages=["fi", "sv"], municipality_codes=["245"])
    publish_service(operator, receiver_org, name=RECEIVER_SERVICE, needs=["employment", "finances"],
                    languages=["fi", "sv", "en"], municipality_codes=["186", "245"])
    counsellors = []
    for org, username, name in ((sender_org, "aino.ohjaaja", "Aino Ohjaaja"),
                                (receiver_org, "bertil.handledare", "Bertil Handledare")):
        person = invite(hub, operator, org, username, name=name)
        context = chromium.new_context(locale="fi-FI")
        context.set_default_timeout(10_000)
        try:
            page = context.new_page()
            authenticator = enrol_in_browser(page, person)
            assert "Tunnus on käytössä" in page.inner_text("h1")
        finally:
            context.close()
        counsellors.append(Counsellor(person, authenticator))
    return Network(hub, operator, sender_org, receiver_org, *counsellors)


SIGNED_OUT = {"fi": "Olet kirjautunut ulos", "sv": "Du är utloggad", "en": "You are signed out"}
LOCALES = {"fi": "fi-FI", "sv": "sv-FI", "en": "en-GB"}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_accounts_pages_in_each_language_have_no_axe_violations(network: Network, browser_context, lang):
    hub, accounts = network.hub, network.hub.url("accounts")
    page = browser_context(locale=LOCALES[lang]).new_page()

    def accessible_in_language():
        assert page.get_attribute("html", "lang") == lang
        assert_accessible(page)

    # The invitation: as first shown, with every error at once, and taken into use.
    person = invite(hub, network.operator, network.sender_org, f"axe.{lang}")
    page.goto(person.invitation_url)
    accessible_in_language()
    page.click("main button[type=submit]")
    assert page.locator(".error-summary li").count() >= 2
    accessible_in_language()
    enrol_in_browser(page, person)
    accessible_in_language()

    # The sign-in, reached from referrals: empty (errors), then the password, then the code step.
    page.goto(hub.url("referrals") + "/")
    page.click("main a.button")
    page.wait_for_url(accounts + "/oauth/authorize?*")
    accessible_in_language()
    page.click("main button[type=submit]")
    assert page.locator(".error-summary li").count() == 2
    accessible_in_language()
    page.fill("#username", person.username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(accounts + "/login/totp")
    accessible_in_language()
    page.fill("#code", "12345")  # too short: never anyone's code
    page.click("main button[type=submit]")
    assert page.locator(".error-summary a[href='#code']").is_visible()
    accessible_in_language()

    # Signed out, and a sign-in request from an unregistered web client.
    page.goto(accounts + "/oauth/logout")
    assert SIGNED_OUT[lang] in page.inner_text("h1")
    accessible_in_language()
    query = urlencode({"response_type": "code", "client_id": "unknown-web",
                       "redirect_uri": "https://example.org/cb"})
    assert page.goto(f"{accounts}/oauth/authorize?{query}").status == 400
    accessible_in_language()


def test_two_counsellors_hand_a_referral_over_after_signing_in_with_both_factors(network: Network,
                                                                                  browser_context):
    hub, referrals = network.hub, network.hub.url("referrals")
    sender, receiver = browser_context().new_page(), browser_context().new_page()

    # Each counsellor, in their own browser, signs in with both factors.
    for page, counsellor in ((sender, network.sender), (receiver, network.receiver)):
        sign_in_in_browser(page, hub, counsellor.person, counsellor.authenticator)
    for page, counsellor in ((sender, network.sender), (receiver, network.receiver)):
        assert page.locator("header button:has-text('Kirjaudu ulos')").is_visible()
        assert page.inner_text("header .signed-in-as") == counsellor.person.name  # their name, not an id
        assert "Saapuneet" in page.inner_text("#incoming-heading")

    # Counsellor 1 finds the receiver in the directory by need, municipality and language.
    sender.goto(referrals + "/referrals/new")
    sender.select_option("#need", "employment")
    sender.fill("#municipality", "186")
    sender.select_option("#language", "fi")
    sender.click("button:has-text('Hae')")
    option = sender.locator(f"input[name=to_organisation_id][value='{network.receiver_org}']")

    def offered() -> bool:  # referrals learns of a new organisation from accounts' events: one reloads
        sender.reload()
        return option.count() == 1

    wait_for(offered, timeout=DEADLINE, interval=0.5, message="the receiver is offered from the directory")
    label = sender.inner_text(f"label[for='{option.get_attribute('id')}']")
    assert label.startswith("Keski-Uudenmaan työllisyysalue") and RECEIVER_SERVICE in label  # the directory's entry
    assert sender.locator(f"input[name=to_organisation_id][value='{network.sender_org}']").count() == 0

    fill_valid_referral(sender, network.receiver_org)  # consent, and a temporary identity code (9xx)
    sender.click("button:has-text('Lähetä lähete')")
    sender.wait_for_url(REFERRAL_URL)
    assert "Lähete lähetettiin" in sender.inner_text("main")
    assert "Lähetetty" in sender.inner_text(".facts")
    referral_url = sender.url

    # Counsellor 2 sees it as new, opens it (the client's data is shown to them), and takes it on.
    receiver.goto(referrals + "/")
    row = receiver.locator("section[aria-labelledby=incoming-heading] tbody tr")
    assert row.count() == 1
    assert "Uusi" in row.inner_text() and "Ohjaamo Kerava" in row.inner_text()

    # The hub tells them too: the Notices link counts the new referral, and notifications' notices
    # page (signed in through the same accounts session, no second password) names it.
    notices = receiver.locator("header a:has-text('Ilmoitukset')")

    def counted() -> bool:  # the notice is made from the referral.sent event: one reloads
        receiver.reload()
        return notices.locator(".count-badge").count() == 1

    wait_for(counted, timeout=DEADLINE, interval=0.5, message="the new referral's notice is counted")
    notices.click()
    receiver.wait_for_url(hub.url("notifications") + "/notices/**")
    assert "Uusi lähete" in receiver.inner_text("main")
    receiver.goto(referrals + "/")
    row.locator("a").click()
    assert receiver.url == referral_url
    client = receiver.inner_text("section[aria-labelledby=client-heading]")
    assert "Aino Testinen" in client and "010504A902T" in client
    assert "Avattu" in receiver.inner_text(".facts")
    receiver.click("button:has-text('Hyväksy')")
    assert "Hyväksytty" in receiver.inner_text(".facts")
    receiver.click("button:has-text('Aloita palvelu')")
    assert "Käynnissä" in receiver.inner_text(".facts")
    receiver.select_option("#complete-outcome", "started_work")
    receiver.click("button:has-text('Merkitse päättyneeksi')")
    assert "Päättynyt" in receiver.inner_text(".facts")

    # Counsellor 1 follows it to the end: completed, with the whole history.
    sender.goto(referrals + "/")
    outgoing = sender.locator("section[aria-labelledby=outgoing-heading] tbody tr")
    assert outgoing.count() == 1 and "Päättynyt" in outgoing.inner_text()
    outgoing.locator("a").click()
    assert sender.url == referral_url
    assert "Päättynyt" in sender.inner_text(".facts")
    history = [text.strip() for text in sender.locator(".timeline .timeline__what").all_inner_texts()]
    assert history == ["Lähetetty", "Avattu", "Hyväksytty", "Käynnissä", "Päättynyt – Aloitti työn"], history
