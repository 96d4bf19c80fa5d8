"""Fixtures of the web suite: a fake accounts (sign-in, directory), the referrals app served on a
real port with two organisations and a counsellor in each, and a signed-in Flask test client."""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from pathlib import Path
from dataclasses import dataclass

import pytest

from referrals.app import create_app
from referrals.bootstrap import build_runtime
from referrals.settings import ReferralsSettings
from shared.contracts.envelope import Event
from shared.contracts.events import OrganisationRegistered
from tests.referrals.conftest import deliver
from tests.web.browser import browser_context, running_chromium  # noqa: F401  (browser_context: a fixture)
from tests.web.fake_accounts import FakeAccounts, Person, ServerThread

KERAVA = uuid.UUID("11111111-1111-4111-8111-111111111111")
EMPLOYMENT = uuid.UUID("22222222-2222-4222-8222-222222222222")
HYRIA = uuid.UUID("33333333-3333-4333-8333-333333333333")
NAMES = {
    KERAVA: {"fi": "Ohjaamo Kerava", "sv": "Ohjaamo Kervo", "en": "Ohjaamo Kerava"},
    EMPLOYMENT: {"fi": "Keski-Uudenmaan työllisyysalue", "sv": "Mellersta Nylands sysselsättningsområde",
                 "en": "Central Uusimaa employment area"},
    HYRIA: {"fi": "Hyria koulutus", "sv": "Hyria utbildning", "en": "Hyria education"},
}


def service(organisation_id, needs, languages, municipalities=("245", "186")) -> dict:
    return {"organisation_id": str(organisation_id), "name": {"fi": "Palvelu", "sv": "Tjänst", "en": "Service"},
            "needs": list(needs), "languages": list(languages), "municipality_codes": list(municipalities),
            "age_min": 15, "age_max": 29, "capacity": "open"}


@dataclass
class WebHub:
    url: str
    accounts: FakeAccounts
    runtime: object
    app: object


@contextmanager
def running_hub(workdir: Path, tokens):
    """Fake accounts and the referrals app (with its web forms), each on a real port."""
    accounts = FakeAccounts(tokens)
    accounts.people = {
        "aino": Person("aino", "Aino Ohjaaja", str(KERAVA)),
        "bertil": Person("bertil", "Bertil Handledare", str(EMPLOYMENT)),
        "olli": Person("olli", "Olli Operaattori", str(KERAVA), roles=("operator",)),
    }
    accounts.services = [service(EMPLOYMENT, ["employment", "finances"], ["fi", "sv", "en"]),
                         service(HYRIA, ["education"], ["fi", "en"], ["186"])]
    with ServerThread(accounts.app()) as accounts_server:
        accounts.url = accounts_server.url
        settings = ReferralsSettings(var_dir=workdir, database_url=f"sqlite:///{workdir / 'referrals.sqlite'}",
                                     broker_url=f"sqla+sqlite:///{workdir / 'broker.sqlite'}",
                                     accounts_url=accounts.url)
        runtime = build_runtime(settings)
        runtime.migrate()
        for organisation_id, name in NAMES.items():
            deliver(runtime, Event.of(OrganisationRegistered(organisation_id=organisation_id, name=name,
                                                             type="ohjaamo", active=True,
                                                             response_deadline_days=10, sequence=1),
                                      source="/accounts"))
        app = create_app(settings, verifier=tokens.verifier(), runtime=runtime)
        with ServerThread(app) as server:
            yield WebHub(server.url, accounts, runtime, app)
        runtime.engine.dispose()


@pytest.fixture
def web_hub(tmp_path, tokens):
    with running_hub(tmp_path, tokens) as hub:
        yield hub


@pytest.fixture(scope="module")
def module_hub(tmp_path_factory, tokens):
    """One hub for a module's tests that write nothing (or count only their own writes)."""
    with running_hub(tmp_path_factory.mktemp("hub"), tokens) as hub:
        yield hub


def sign_in(client, username: str):
    """Sign `client` (a Flask test client of the web app) in through the fake accounts."""
    import httpx

    login = client.get("/auth/login")
    assert login.status_code == 302
    authorize = login.headers["Location"]
    answer = httpx.post(authorize, data={"username": username})
    assert answer.status_code == 302, answer.text
    callback = answer.headers["Location"]
    path = callback.split("://", 1)[1].split("/", 1)[1]
    return client.get("/" + path)


def csrf_of(html: str) -> str:
    """The CSRF token of the page's first form that posts."""
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


@pytest.fixture(scope="session")
def chromium():
    with running_chromium() as browser:
        yield browser


def browser_sign_in(page, hub_url: str, username: str) -> None:
    """Sign in through the sign-in page and accounts' form, as a person would."""
    page.goto(hub_url + "/")
    page.click("main a.button")
    page.fill("#username", username)
    page.click("button[type=submit]")
    page.wait_for_url(hub_url + "/")


def referral_count(runtime) -> int:
    import sqlalchemy as sa

    with runtime.engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM referrals")).scalar_one()
