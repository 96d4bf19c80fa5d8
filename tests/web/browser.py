"""Real Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright (never a
downloaded browser), axe-core injected into pages to assert zero accessibility violations, and the
steps a counsellor takes in the forms (shared by tests/web, the e2e handover and the screenshots)."""
from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("HUB_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()


def launch(playwright):
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI") or os.environ.get("HUB_TEST_REQUIRE_SERVERS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


class _SharedChromium:
    """One Playwright and one Chromium for the whole test process, however many fixtures ask:
    Playwright's sync API cannot run twice at once, and launching Chromium again costs seconds."""

    def __init__(self):
        self.playwright, self.browser, self.users = None, None, 0

    @contextmanager
    def use(self):
        if self.users == 0:
            from playwright.sync_api import sync_playwright

            self.playwright = sync_playwright().start()
            try:
                self.browser = launch(self.playwright)
            except BaseException:
                self.playwright.stop()
                raise
        self.users += 1
        try:
            yield self.browser
        finally:
            self.users -= 1
            if self.users == 0:
                self.browser.close()
                self.playwright.stop()


running_chromium = _SharedChromium().use


@pytest.fixture
def browser_context(chromium):
    """`browser_context(locale="fi-FI")` -> a fresh context (own cookies), closed after the test."""
    contexts = []

    def make(locale: str = "fi-FI"):
        context = chromium.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (every rule axe runs by default)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated over the DevTools protocol: the page's CSP (no inline scripts) stays on.
        page.evaluate(AXE)
    result = page.evaluate("async () => { const r = await axe.run(document); "
                           "return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, "
                           "nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }")
    return result


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}:\n" + json.dumps(violations, indent=1, ensure_ascii=False)


# -- a counsellor's steps in the forms (Finnish pages) ----------------------------------------

def fill_valid_referral(page, receiver, *, first_name="Aino", code="010504A902T"):
    """A referral form that passes every check, to `receiver` (an organisation id the page offers).
    The default identity code is a temporary one (individual number 9xx), as test data must be."""
    page.check(f"input[name=to_organisation_id][value='{receiver}']")
    page.fill("#client_first_name", first_name)
    page.fill("#client_last_name", "Testinen")
    page.fill("#client_personal_identity_code", code)
    page.fill("#client_birth_date", "2004-05-01")
    page.fill("#client_email", "aino@example.org")
    page.select_option("#client_language", "fi")
    page.check("#consent_given")
    page.check("#consent_method-0")
    page.check("input[name=needs][value=employment]")
    page.fill("#reason", "Etsii työtä ja tarvitsee apua asumisen kanssa.")


def send_referral(page, hub_url: str, receiver, **changes) -> None:
    page.goto(hub_url + "/referrals/new")
    fill_valid_referral(page, receiver, **changes)
    page.click("button:has-text('Lähetä lähete')")
    page.wait_for_url(re.compile(r"/referrals/[0-9a-f-]{36}$"))
