"""axe-core in real Chromium on the console's pages, signed in as an operator: zero violations."""
from __future__ import annotations

import pytest

from shared.weblogin import TOKEN

from tests.console.conftest import OPERATOR
from tests.console.test_pages import Flaky, store_dead
from tests.web.browser import assert_accessible
from tests.web.conftest import browser_context  # noqa: F401

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def chromium():
    """Closed with this module: tests/web keeps its own for the session, and two Playwright
    instances cannot run at once."""
    from playwright.sync_api import sync_playwright

    from tests.web.browser import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.mark.parametrize("path", ["/console/?lang=fi", "/console/dead-letters",
                                  "/console/webhooks/failing", "/console/timeline?referral_id=nope"])
def test_console_pages_have_no_axe_violations(app, runtime, served, tokens, browser_context, path):  # noqa: F811
    store_dead(runtime, Flaky())  # the dead-letters page with its table and forms
    cookie = app.session_interface.get_signing_serializer(app).dumps({TOKEN: tokens.issue(**OPERATOR)})
    context = browser_context()
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": served.url}])
    page = context.new_page()
    page.goto(served.url + path)
    assert page.locator("h1").count() == 1
    assert_accessible(page)
