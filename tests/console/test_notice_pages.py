"""The notices pages of counsellors and admins: who may see them, the list with unread markers,
marking read (CSRF-protected forms), the settings form with its error summary, languages, and the
front page sending each person where they belong."""
from __future__ import annotations

import re
import uuid

import pytest

from shared.contracts.events import ReferralDeclined

from tests.notifications.conftest import handle, referral_sent  # noqa: F401
from tests.web.conftest import csrf_of

RECEIVER, SENDER = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
def counsellor(sign_in):
    """`counsellor(org=..., role=...)`: a signed-in person's client and their id."""
    def make(org: uuid.UUID = RECEIVER, role: str = "counsellor"):
        person_id = uuid.uuid4()
        return sign_in(sub=str(person_id), org=str(org), roles=(role,), scopes=("referrals:read",),
                       client_id=None, name=None), person_id
    return make


def test_the_list_marks_unread_and_links_each_referral(handle, counsellor, runtime):  # noqa: F811
    sent = referral_sent(SENDER, RECEIVER)
    handle(sent)
    handle(ReferralDeclined(**{**referral_sent(RECEIVER, SENDER).model_dump(exclude={"urgency", "deadline_at"}),
                               "status": "declined", "reason": "at_capacity", "sequence": 2}))
    client, _ = counsellor()
    page = client.get("/notices/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="en">' in html and "<h1>Notices</h1>" in html
    assert "Unread: 2" in html and '<strong class="tag tag--new">New</strong>' in html
    assert '<th scope="row">New referral</th>' in html
    assert f'href="{runtime.settings.referral_pages_url}/referrals/{sent.referral_id}"' in html
    assert "Referral declined" in html and "No capacity" in html  # of a referral this organisation sent
    assert "style=" not in html and "<script" not in html


def test_mark_read_and_mark_all_read_need_the_csrf_token(handle, counsellor):  # noqa: F811
    for _ in range(3):
        handle(referral_sent(SENDER, RECEIVER))
    client, _ = counsellor()
    html = client.get("/notices/?lang=fi").get_data(as_text=True)
    assert "Lukemattomia: 3" in html
    first = re.search(r'action="(/notices/[0-9a-f-]+/read)"', html).group(1)
    assert client.post(first).status_code == 400  # no token: nothing changes
    assert "Lukemattomia: 3" in client.get("/notices/").get_data(as_text=True)

    done = client.post(first, data={"csrf_token": csrf_of(html)}, follow_redirects=True)
    assert "Ilmoitus merkittiin luetuksi." in done.get_data(as_text=True)
    assert "Lukemattomia: 2" in done.get_data(as_text=True)
    unread_only = client.get("/notices/?unread=1").get_data(as_text=True)
    assert unread_only.count('class="unread"') == 2 and first not in unread_only

    done = client.post("/notices/read-all", data={"csrf_token": csrf_of(html), "unread": "1"}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "Kaikki ilmoitukset merkittiin luetuiksi." in text and "Lukemattomia: 0" in text and "Ei ilmoituksia." in text


def test_another_organisations_notice_cannot_be_marked(handle, counsellor):  # noqa: F811
    handle(referral_sent(SENDER, RECEIVER))
    owner, _ = counsellor()
    html = owner.get("/notices/").get_data(as_text=True)
    theirs = re.search(r'action="(/notices/[0-9a-f-]+/read)"', html).group(1)
    stranger, _ = counsellor(org=uuid.uuid4())
    token = csrf_of(stranger.get("/notices/").get_data(as_text=True))
    answer = stranger.post(theirs, data={"csrf_token": token})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 404 and "<h1>Ei löytynyt</h1>" in html
    # The language links of a page answering a form lead to a page that exists, and the choice holds.
    switch = re.search(r'href="([^"]+)" lang="sv"', html).group(1)
    assert switch == "/?lang=sv"
    assert stranger.get(switch).headers["Location"] == "/notices/"
    assert '<html lang="sv">' in stranger.get("/notices/").get_data(as_text=True)


def test_the_settings_form_saves_and_lists_its_errors(counsellor, runtime):
    client, person_id = counsellor()
    form = client.get("/notices/settings?lang=sv").get_data(as_text=True)
    assert '<html lang="sv">' in form and 'autocomplete="email"' in form
    assert 'id="language-sv" name="language" value="sv" checked' in form  # the page's language by default

    wrong = client.post("/notices/settings", data={"csrf_token": csrf_of(form), "email": "inte en adress",
                                                   "language": "sv"})
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    assert "<title>Fel: E-postaviseringar" in html and 'role="alert"' in html
    assert '<a href="#email">E-postadress: Ange e-postadressen som namn@exempel.fi.</a>' in html
    assert '<a href="#email_frequency-immediately">Hur ofta: Välj ett av alternativen.</a>' in html
    assert 'aria-invalid="true"' in html and 'value="inte en adress"' in html

    saved = client.post("/notices/settings", data={"csrf_token": csrf_of(form), "email": " bertil@kerava.fi ",
                                                   "language": "sv", "email_frequency": "daily"},
                        follow_redirects=True)
    assert "Inställningarna sparades." in saved.get_data(as_text=True)
    assert 'value="bertil@kerava.fi"' in saved.get_data(as_text=True)
    from notifications.notices import preferences

    with runtime.sessions() as session:
        assert preferences.read(session, runtime.extras["keyring"], person_id) == \
            {"email": "bertil@kerava.fi", "language": "sv", "email_frequency": "daily"}


def test_operators_and_api_clients_get_the_403_page(sign_in):
    operator = sign_in().get("/notices/")
    assert operator.status_code == 403 and "<h1>Ei pääsyä</h1>" in operator.get_data(as_text=True)


def test_not_signed_in_goes_to_sign_in_and_the_front_page_sends_people_where_they_belong(client, counsellor,
                                                                                           sign_in):
    page = client.get("/notices/settings")
    assert page.status_code == 302 and page.headers["Location"].startswith("/auth/login?next=")
    assert client.get("/").headers["Location"].startswith("/auth/login?next=")
    person, _ = counsellor()
    assert person.get("/").headers["Location"] == "/notices/"
    assert sign_in().get("/").headers["Location"] == "/console/"
