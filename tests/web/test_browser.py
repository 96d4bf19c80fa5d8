"""The forms in real Chromium: the whole handover by two counsellors of two organisations, a
referral made with the keyboard alone, each language, validation errors with nothing saved, and
axe-core on every page in each language (zero violations)."""
from __future__ import annotations

import re

import pytest

from tests.web.browser import assert_accessible, fill_valid_referral, send_referral
from tests.web.conftest import EMPLOYMENT, browser_sign_in, referral_count

pytestmark = pytest.mark.timeout(120)


def test_the_whole_handover_between_two_organisations(web_hub, browser_context):
    sender = browser_context().new_page()
    receiver = browser_context().new_page()
    browser_sign_in(sender, web_hub.url, "aino")
    browser_sign_in(receiver, web_hub.url, "bertil")

    send_referral(sender, web_hub.url, EMPLOYMENT)
    assert "Lähete lähetettiin" in sender.inner_text("main")
    assert "Aino Testinen" in sender.inner_text("main")
    referral_url = sender.url

    # The receiver sees it as new on the dashboard, opens it (that marks it received) and accepts.
    receiver.goto(web_hub.url + "/")
    row = receiver.locator("section", has_text="Saapuneet").locator("tr.unread")
    assert row.count() == 1 and "Uusi" in row.inner_text() and "Ohjaamo Kerava" in row.inner_text()
    row.locator("a").click()
    assert receiver.url == referral_url
    assert "Aino Testinen" in receiver.inner_text("main") and "010504A902T" in receiver.inner_text("main")
    assert "Avattu" in receiver.inner_text(".facts")
    receiver.click("button:has-text('Hyväksy')")
    assert "Hyväksytty" in receiver.inner_text(".facts")
    receiver.fill("#comment-text", "Aika sovittu maanantaille.")
    receiver.click("button:has-text('Lisää kommentti')")
    assert "Aika sovittu maanantaille." in receiver.inner_text("#history ~ ol, .timeline")

    # The sender follows: status, comment, and may no longer do anything but withdraw.
    sender.reload()
    assert "Hyväksytty" in sender.inner_text(".facts")
    assert "Aika sovittu maanantaille." in sender.inner_text(".timeline")
    assert sender.locator("button:has-text('Hyväksy')").count() == 0
    assert sender.locator("button:has-text('Peru lähete')").count() == 1

    receiver.click("button:has-text('Aloita palvelu')")
    assert "Käynnissä" in receiver.inner_text(".facts")
    receiver.select_option("#complete-outcome", "started_work")
    receiver.click("button:has-text('Merkitse päättyneeksi')")
    assert "Päättynyt" in receiver.inner_text(".facts")
    assert "Aloitti työn" in receiver.inner_text(".timeline")

    sender.goto(web_hub.url + "/")
    assert "Päättynyt" in sender.locator("section", has_text="Lähetetyt").inner_text()

    # The same client again to the same receiver: sent, with the duplicate warning.
    send_referral(sender, web_hub.url, EMPLOYMENT)
    assert "asiakkaalla on jo avoin lähete" not in sender.inner_text("main")  # the first one is closed
    send_referral(sender, web_hub.url, EMPLOYMENT)
    assert "asiakkaalla on jo avoin lähete samaan organisaatioon" in sender.inner_text("main")


def test_decline_needs_a_reason_and_withdraw_by_the_sender(web_hub, browser_context):
    sender, receiver = browser_context().new_page(), browser_context().new_page()
    browser_sign_in(sender, web_hub.url, "aino")
    browser_sign_in(receiver, web_hub.url, "bertil")
    send_referral(sender, web_hub.url, EMPLOYMENT)
    url = sender.url
    receiver.goto(url)
    receiver.click("button:has-text('Hylkää')")
    assert receiver.locator(".error-summary").is_visible()
    assert receiver.get_attribute("#decline-reason", "aria-invalid") == "true"
    assert "Avattu" in receiver.inner_text(".facts")
    receiver.select_option("#decline-reason", "at_capacity")
    receiver.click("button:has-text('Hylkää')")
    assert "Hylätty" in receiver.inner_text(".facts") and "Ei tilaa" in receiver.inner_text(".timeline")
    # Withdrawing a declined referral is no longer offered to the sender.
    sender.reload()
    assert sender.locator("button:has-text('Peru lähete')").count() == 0


def test_a_referral_made_with_the_keyboard_alone(web_hub, browser_context):
    page = browser_context().new_page()
    browser_sign_in(page, web_hub.url, "aino")
    page.goto(web_hub.url + "/referrals/new")
    keyboard = page.keyboard

    def tab_to(selector: str, limit: int = 80) -> None:
        """Press Tab until `selector` has the focus, checking the focus is visible on the way."""
        for _ in range(limit):
            keyboard.press("Tab")
            if page.locator(selector).evaluate("element => element === document.activeElement"):
                outline = page.evaluate("() => { const s = getComputedStyle(document.activeElement); "
                                        "return [s.outlineStyle, s.boxShadow]; }")
                assert outline != ["none", "none"], f"no visible focus on {selector}"
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to(f"input[name=to_organisation_id][value='{EMPLOYMENT}']")
    keyboard.press("Space")
    tab_to("#client_first_name")
    keyboard.type("Kalle")
    keyboard.press("Tab")
    keyboard.type("Näppäimistö")
    tab_to("#client_birth_date")
    keyboard.type("01052004")
    tab_to("#consent_given")
    keyboard.press("Space")
    tab_to("#consent_method-0")
    keyboard.press("Space")
    tab_to("input[name=needs][value=education]")
    keyboard.press("Space")
    tab_to("button:has-text('Lähetä lähete')")
    keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/referrals/[0-9a-f-]{36}$"))
    assert "Kalle Näppäimistö" in page.inner_text("main")
    assert referral_count(web_hub.runtime) == 1


@pytest.fixture(scope="module")
def signed_in_page(module_hub, chromium):
    context = chromium.new_context(locale="fi-FI")
    page = context.new_page()
    browser_sign_in(page, module_hub.url, "aino")
    yield page
    context.close()


BAD_INPUTS = [
    # (what, how to spoil a valid form, field id, the message shown)
    ("no receiver", lambda p: p.evaluate("document.querySelectorAll('[name=to_organisation_id]')"
                                         ".forEach(e => e.checked = false)"),
     "to_organisation_id-0", "Valitse vastaanottaja."),
    ("no first name", lambda p: p.fill("#client_first_name", ""), "client_first_name", "Tämä tieto on pakollinen."),
    ("no last name", lambda p: p.fill("#client_last_name", ""), "client_last_name", "Tämä tieto on pakollinen."),
    ("bad identity code", lambda p: p.fill("#client_personal_identity_code", "010504A902U"),
     "client_personal_identity_code", "Henkilötunnus ei ole kelvollinen"),
    ("birth date not the code's", lambda p: p.fill("#client_birth_date", "2004-05-02"), "client_birth_date",
     "Syntymäaika ei vastaa henkilötunnusta."),
    ("no code and no birth date", lambda p: (p.fill("#client_personal_identity_code", ""),
                                             p.fill("#client_birth_date", "")),
     "client_birth_date", "Anna syntymäaika tai henkilötunnus."),
    ("bad email", lambda p: p.fill("#client_email", "aino@"), "client_email", "Anna sähköpostiosoite"),
    ("no consent", lambda p: p.uncheck("#consent_given"), "consent_given", "Lähete edellyttää asiakkaan suostumusta."),
    ("consent in the future", lambda p: p.fill("#consent_given_at", "2999-01-01T10:00"), "consent_given_at",
     "Suostumusta ei voi antaa tulevaisuudessa."),
    ("consent expired", lambda p: p.fill("#consent_expires_at", "2020-01-01"), "consent_expires_at",
     "Suostumuksen voimassaolon on päätyttävä"),
    ("no need", lambda p: p.uncheck("input[name=needs][value=employment]"), "needs-0",
     "Valitse vähintään yksi tarve."),
    ("worker without a name", lambda p: p.fill("#responsible_worker_email", "ville@example.org"),
     "responsible_worker_name", "Anna vastuuhenkilön nimi"),
    ("birth date in the future", lambda p: (p.fill("#client_personal_identity_code", ""),
                                            p.fill("#client_birth_date", "2999-01-01")),
     "client_birth_date", "Syntymäaika ei voi olla tulevaisuudessa."),
]


@pytest.mark.parametrize("what,spoil,field_id,message", BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_each_bad_input_is_named_at_its_field_and_nothing_is_saved(module_hub, signed_in_page, what, spoil,
                                                                  field_id, message):
    web_hub, page = module_hub, signed_in_page
    page.goto(web_hub.url + "/referrals/new")
    fill_valid_referral(page, EMPLOYMENT)
    spoil(page)
    page.click("button:has-text('Lähetä lähete')")
    summary = page.locator(".error-summary")
    assert summary.is_visible(), what
    link = summary.locator(f"a[href='#{field_id}']")
    assert message in link.inner_text()
    assert page.title().startswith("Virhe")
    link.click()  # the summary's link takes the person to the field
    assert page.evaluate("() => document.activeElement.id") == field_id
    assert referral_count(web_hub.runtime) == 0
    # What was typed is kept (but nothing personal went into the URL).
    kept = "#client_first_name" if field_id == "client_last_name" else "#client_last_name"
    assert page.input_value(kept) in ("Aino", "Testinen")
    assert "Testinen" not in page.url and "010504" not in page.url


PAGES = ["/", "/referrals/new", "/statistics", "/accessibility"]


@pytest.mark.parametrize("lang,sign_in_text", [("fi", "Kirjaudu sisään"), ("sv", "Logga in"), ("en", "Sign in")])
def test_every_page_in_each_language_has_no_axe_violations(web_hub, browser_context, lang, sign_in_text):
    page = browser_context(locale={"fi": "fi-FI", "sv": "sv-FI", "en": "en-GB"}[lang]).new_page()
    page.goto(web_hub.url + "/")
    assert page.get_attribute("html", "lang") == lang
    assert sign_in_text in page.inner_text("main")
    assert_accessible(page)
    page.goto(web_hub.url + "/accessibility")
    assert_accessible(page)

    browser_sign_in(page, web_hub.url, "aino")
    assert page.get_attribute("html", "lang") == lang
    page.goto(web_hub.url + "/referrals/new")
    fill_valid_referral(page, EMPLOYMENT)
    page.locator("form[method=post] button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/referrals/[0-9a-f-]{36}$"))
    assert_accessible(page)  # the referral page, as its sender sees it
    for path in PAGES:
        page.goto(web_hub.url + path)
        assert page.get_attribute("html", "lang") == lang
        assert_accessible(page)
    page.goto(web_hub.url + "/referrals/new")
    page.locator("form[method=post] button[type=submit]").last.click()  # empty: every error at once
    assert page.locator(".error-summary li").count() >= 5
    assert_accessible(page)


def test_the_language_switch_on_every_page_keeps_the_choice(web_hub, browser_context):
    page = browser_context(locale="fi-FI").new_page()
    page.goto(web_hub.url + "/accessibility")
    page.click("a[hreflang=sv]")
    assert page.url.endswith("/accessibility")
    assert page.get_attribute("html", "lang") == "sv"
    assert "Tillgänglighetsutlåtande" in page.inner_text("h1")
    browser_sign_in(page, web_hub.url, "aino")
    assert page.get_attribute("html", "lang") == "sv"  # signing in keeps the choice
    page.click("a[hreflang=en]")
    assert "Incoming" in page.inner_text("main")
