"""The pages without a browser: languages, security headers, CSRF on every form that posts, the
directory search and its fallback, one referral per submission, statistics, no client data in URLs."""
from __future__ import annotations

import re

import pytest

from tests.web.conftest import EMPLOYMENT, HYRIA, KERAVA, csrf_of, referral_count, service, sign_in

VALID = {
    "to_organisation_id": str(EMPLOYMENT), "client_first_name": "Aino", "client_last_name": "Testinen",
    "client_personal_identity_code": "010504A902T", "client_birth_date": "2004-05-01",
    "consent_given": "y", "consent_method": "written", "consent_given_at": "2026-01-02T10:00",
    "needs": ["employment", "housing"], "urgency": "normal", "reason": "Tarvitsee apua.",
}


@pytest.fixture
def aino(web_hub):
    client = web_hub.app.test_client()
    sign_in(client, "aino")
    return client


def send(client, **changes) -> object:
    page = client.get("/referrals/new").text
    form = {**VALID, "csrf_token": csrf_of(page),
            "idempotency_key": re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page).group(1), **changes}
    return client.post("/referrals/new", data=form)


@pytest.mark.parametrize("accept,lang,text", [
    ("sv-FI,sv;q=0.9", "sv", "Logga in"), ("en-GB,en;q=0.8", "en", "Sign in"),
    ("fi", "fi", "Kirjaudu sisään"), ("de-DE", "fi", "Kirjaudu sisään"), (None, "fi", "Kirjaudu sisään"),
])
def test_the_sign_in_page_speaks_the_browsers_language_finnish_by_default(module_hub, accept, lang, text):
    headers = {"Accept-Language": accept} if accept else {}
    response = module_hub.app.test_client().get("/", headers=headers)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.text and text in response.text


def test_pages_send_csp_without_unsafe_inline_and_nosniff(module_hub):
    response = module_hub.app.test_client().get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "style=" not in response.text and "<script" not in response.text


def test_every_form_that_posts_carries_a_csrf_token(web_hub, aino):
    location = send(aino).headers["Location"]
    for path in ("/", "/referrals/new", location):
        html = aino.get(path).text
        forms = re.findall(r'<form[^>]*method="post".*?</form>', html, flags=re.S)
        assert forms, path
        for form in forms:
            assert re.search(r'name="([a-z]+-)?csrf_token" type="hidden" value="[^"]{20,}"', form), (path, form[:200])


def test_a_post_without_the_csrf_token_is_refused_and_saves_nothing(web_hub, aino):
    response = aino.post("/referrals/new", data=VALID)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert referral_count(web_hub.runtime) == 0


def test_a_referral_is_sent_once_however_often_the_form_is_submitted(web_hub, aino):
    page = aino.get("/referrals/new").text
    form = {**VALID, "csrf_token": csrf_of(page),
            "idempotency_key": re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page).group(1)}
    first, second = aino.post("/referrals/new", data=form), aino.post("/referrals/new", data=form)
    assert first.headers["Location"] == second.headers["Location"]
    assert re.fullmatch(r"/referrals/[0-9a-f-]{36}", first.headers["Location"])  # an id: no client data
    assert referral_count(web_hub.runtime) == 1


def test_the_directory_finds_receivers_by_need_and_language(web_hub, aino):
    web_hub.accounts.services.append(service(EMPLOYMENT, ["employment"], ["sv"]))
    page = aino.get("/referrals/new?need=employment").text
    assert page.count(f'value="{EMPLOYMENT}"') == 1  # an organisation once, however many services match
    page = aino.get("/referrals/new?need=education&language=en").text
    assert str(HYRIA) in page and str(EMPLOYMENT) not in page
    page = aino.get("/referrals/new?need=employment&municipality=245&language=sv").text
    assert str(EMPLOYMENT) in page and str(HYRIA) not in page
    assert str(KERAVA) not in page  # never one's own organisation


def test_without_the_directory_every_other_organisation_is_offered(web_hub, aino):
    web_hub.accounts.directory_up = False
    page = aino.get("/referrals/new?need=education").text
    assert "Palveluhakemisto ei vastannut" in page
    assert str(HYRIA) in page and str(EMPLOYMENT) in page and str(KERAVA) not in page


def test_a_bad_municipality_code_is_named_and_the_search_still_offers_everyone(web_hub, aino):
    page = aino.get("/referrals/new?municipality=24").text
    assert "Kuntanumerossa on kolme numeroa" in page
    assert 'href="#municipality"' in page


def test_the_receiver_sees_the_client_and_the_duplicate_warning_goes_to_the_sender(web_hub, aino):
    location = send(aino).headers["Location"]
    page = aino.get(location).text
    assert "Lähete lähetettiin." in page and "Aino Testinen" in page
    second = aino.get(send(aino).headers["Location"]).text
    assert "asiakkaalla on jo avoin lähete samaan organisaatioon" in second
    bertil = web_hub.app.test_client()
    sign_in(bertil, "bertil")
    assert "Aino Testinen" in bertil.get(location).text
    stranger = web_hub.app.test_client()
    sign_in(stranger, "olli")
    assert stranger.get(location).status_code == 403  # an operator has no referral pages at all


def test_a_stale_action_is_refused_with_a_notice(web_hub, aino):
    location = send(aino).headers["Location"]
    bertil = web_hub.app.test_client()
    sign_in(bertil, "bertil")
    page = bertil.get(location).text
    token = csrf_of(page)
    accept = bertil.post(location + "/accept", data={"accept-csrf_token": token, "accept-version": "1"},
                         follow_redirects=True)
    assert "Lähete muuttui sillä välin" in accept.text
    assert "Avattu" in accept.text  # still only opened (version 2 when the page was shown)


def test_statistics_draw_charts_of_the_figures_the_api_shows(web_hub, aino):
    for _ in range(6):
        send(aino)
    page = aino.get("/statistics").text
    assert "<svg" in page and "Lähetteet tilan mukaan" in page and "Lähetetty" in page
    assert "Keski-Uudenmaan työllisyysalue" in page
    assert ">6<" in page


def test_the_accessibility_statement_is_public_with_a_feedback_channel(module_hub):
    page = module_hub.app.test_client().get("/accessibility", headers={"Accept-Language": "en"}).text
    assert "Accessibility statement" in page and 'href="mailto:' in page and "Traficom" in page
