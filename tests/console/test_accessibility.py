"""axe-core in real Chromium on the console's pages, signed in as an operator: zero violations."""
from __future__ import annotations

import pytest

from shared.weblogin import TOKEN

from tests.console.conftest import OPERATOR
from tests.console.test_pages import Flaky, store_dead
from tests.web.browser import assert_accessible, running_chromium
from tests.web.conftest import browser_context  # noqa: F401

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def chromium():
    """The process's one Chromium (shared with tests/web: two Playwright instances cannot run at once)."""
    with running_chromium() as browser:
        yield browser


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
@pytest.mark.parametrize("path", ["/console/", "/console/dead-letters", "/console/webhooks/failing",
                                  "/console/timeline?referral_id=nope"])
def test_console_pages_have_no_axe_violations(app, runtime, served, tokens, browser_context, path,  # noqa: F811
                                              lang):
    store_dead(runtime, Flaky())  # the dead-letters page with its table and forms
    cookie = app.session_interface.get_signing_serializer(app).dumps({TOKEN: tokens.issue(**OPERATOR)})
    context = browser_context()
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": served.url}])
    page = context.new_page()
    page.goto(served.url + path + ("&" if "?" in path else "?") + f"lang={lang}")
    assert page.locator("h1").count() == 1 and page.locator(f'html[lang="{lang}"]').count() == 1
    assert_accessible(page)


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_notice_pages_have_no_axe_violations(app, runtime, served, tokens, browser_context, lang):  # noqa: F811
    import uuid

    from shared.contracts.envelope import Event
    from shared.contracts.events import ReferralDeclined

    from notifications.handlers import HANDLERS
    from shared.db import unit_of_work
    from tests.notifications.conftest import referral_sent

    organisation = uuid.uuid4()
    sent = referral_sent(uuid.uuid4(), organisation)
    declined = ReferralDeclined(**{**referral_sent(organisation, uuid.uuid4()).model_dump(
        exclude={"urgency", "deadline_at"}), "status": "declined", "reason": "not_eligible", "sequence": 2})
    with unit_of_work(runtime.sessions) as session:
        for data in (sent, declined):
            event = Event.of(data, source="/referrals")
            HANDLERS[event.type](session, event)
    token = tokens.issue(sub=str(uuid.uuid4()), org=str(organisation), roles=("counsellor",),
                         scopes=("referrals:read",), client_id=None)
    cookie = app.session_interface.get_signing_serializer(app).dumps({TOKEN: token})
    context = browser_context()
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": served.url}])
    page = context.new_page()

    page.goto(f"{served.url}/notices/?lang={lang}")
    assert page.locator(f'html[lang="{lang}"]').count() == 1 and page.locator("tr.unread").count() == 2
    assert_accessible(page)
    page.locator("main form button.secondary").first.click()  # mark one read: the page with a message
    page.wait_for_selector('[role="status"]')
    assert page.locator("tr.unread").count() == 1
    assert_accessible(page)

    page.goto(f"{served.url}/notices/settings")
    assert_accessible(page)
    page.fill("#email", "not an address")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert page.locator('#email[aria-invalid="true"]').count() == 1
    assert_accessible(page)
