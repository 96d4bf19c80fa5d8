"""`make screenshots`: the main pages in real Chromium, saved to docs/screenshots/*.png.

Runs the same hub as the browser tests (referrals with its forms, a fake accounts for sign-in),
fills it the way two counsellors would, and photographs each page; then the whole hub as real
processes (tests/e2e/harness.py) for accounts' own sign-in pages: invitation, password, TOTP code."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.conftest import TokenFactory
from tests.web.browser import fill_valid_referral, launch, send_referral
from tests.web.conftest import EMPLOYMENT, browser_sign_in, running_hub


def main(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir, running_hub(Path(workdir), TokenFactory()) as hub, \
            sync_playwright() as playwright:
        browser = launch(playwright)

        def page_for(locale: str = "fi-FI"):
            return browser.new_context(locale=locale, viewport={"width": 1280, "height": 900}).new_page()

        def shot(page, name: str) -> None:
            page.screenshot(path=str(target / f"{name}.png"), full_page=True)
            print(target / f"{name}.png")

        sender, receiver = page_for(), page_for()
        sender.goto(hub.url + "/")
        shot(sender, "sign-in")
        browser_sign_in(sender, hub.url, "aino")
        browser_sign_in(receiver, hub.url, "bertil")
        for first_name in ("Aino", "Eetu", "Sanni", "Veera", "Oskari", "Ilmari"):
            send_referral(sender, hub.url, EMPLOYMENT, first_name=first_name, code="")
        sender.goto(hub.url + "/referrals/new?need=employment&language=sv")
        shot(sender, "new-referral")
        fill_valid_referral(sender, EMPLOYMENT, code="010504A902U")
        sender.uncheck("#consent_given")
        sender.click("button:has-text('Lähetä lähete')")
        shot(sender, "new-referral-errors")

        receiver.goto(hub.url + "/")
        shot(receiver, "dashboard")
        receiver.locator("tr.unread a").first.click()
        receiver.click("button:has-text('Hyväksy')")
        receiver.fill("#comment-text", "Aika sovittu maanantaille klo 10.")
        receiver.click("button:has-text('Lisää kommentti')")
        shot(receiver, "referral")
        sender.goto(hub.url + "/statistics")
        shot(sender, "statistics")
        swedish = page_for("sv-FI")
        swedish.goto(hub.url + "/accessibility")
        shot(swedish, "accessibility-sv")
        accounts_pages(page_for(), shot)
        browser.close()


def accounts_pages(page, shot) -> None:
    """accounts' pages as a new counsellor meets them: the invitation, then signing in to the forms."""
    from tests.e2e.harness import Hub
    from tests.e2e.people import PASSWORD, enrol_in_browser, invite

    with tempfile.TemporaryDirectory() as workdir:
        hub = Hub(Path(workdir))
        try:
            hub.start()
            operator = hub.operator_api()
            organisation = hub.create_organisation(operator, "Ohjaamo Kerava", "ohjaamo")
            person = invite(hub, operator, organisation, "aino.ohjaaja", name="Aino Ohjaaja")
            page.goto(person.invitation_url)
            shot(page, "accounts-invitation")  # the key belongs to this throwaway hub
            enrol_in_browser(page, person)
            page.goto(hub.url("referrals") + "/")
            page.click("main a.button")
            page.wait_for_url(hub.url("accounts") + "/oauth/authorize?*")
            page.fill("#username", person.username)
            shot(page, "accounts-sign-in")
            page.fill("#password", PASSWORD)
            page.click("main button[type=submit]")
            page.wait_for_url(hub.url("accounts") + "/login/totp")
            shot(page, "accounts-totp")
        finally:
            hub.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
