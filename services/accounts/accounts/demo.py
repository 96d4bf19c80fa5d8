"""Demo data for `make run` (HUB_DEMO_DATA=1): the Keski-Uusimaa network of DOMAIN.md.

The umbrella Ohjaamo Keski-Uusimaa with its eight local Ohjaamos, the Keski-Uusimaa employment
area, two education providers and Kela; their directory entries; API clients for a few of them;
and demo people who can sign in. Secrets are generated for each installation (never in the
repository), printed once and kept in `var_dir/demo-credentials.txt` (mode 600). Loading is
idempotent: when the umbrella exists, nothing is created and the kept credentials are shown again.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import sqlalchemy as sa

from shared.db import unit_of_work
from shared.runtime import ServiceRuntime

from accounts import clients, directory, organisations, people
from accounts.keys import KeyStore
from accounts.models import Organisation

UMBRELLA = "Ohjaamo Keski-Uusimaa"
CREDENTIALS_FILE = "demo-credentials.txt"
# The eight local Ohjaamos: key, names (fi, sv), Statistics Finland municipality code.
LOCAL_OHJAAMOS = [
    ("hyvinkaa", "Hyvinkää", "Hyvinge", "106"),
    ("jarvenpaa", "Järvenpää", "Träskända", "186"),
    ("kerava", "Kerava", "Kervo", "245"),
    ("mantsala", "Mäntsälä", "Mäntsälä", "505"),
    ("nurmijarvi", "Nurmijärvi", "Nurmijärvi", "543"),
    ("pornainen", "Pornainen", "Borgnäs", "611"),
    ("tuusula", "Tuusula", "Tusby", "858"),
    ("sipoo", "Sipoo", "Sibbo", "753"),
]
REGION = [code for *_, code in LOCAL_OHJAAMOS]
OTHERS = [
    ("employment_area", {"fi": "Keski-Uudenmaan työllisyysalue", "sv": "Mellersta Nylands sysselsättningsområde",
                         "en": "Central Uusimaa employment area"}, "employment_area", None, REGION),
    ("keuda", {"fi": "Keuda", "sv": "Keuda", "en": "Keuda vocational college"}, "education_provider", None,
     ["186", "245", "505", "543", "611", "858", "753"]),
    ("hyria", {"fi": "Hyria", "sv": "Hyria", "en": "Hyria vocational college"}, "education_provider", None,
     ["106", "694"]),
    ("kela", {"fi": "Kela", "sv": "FPA", "en": "Kela (Social Insurance Institution)"}, "kela", "0246246-0", []),
]
# Local capacity differs, so the directory shows every state.
CAPACITY = {"mantsala": "waitlist", "pornainen": "closed"}


def _ohjaamo_services(key: str, code: str) -> list[dict]:
    languages = ["fi", "sv", "en"] if key in ("sipoo", "kerava") else ["fi", "en"]
    return [
        {"name": {"fi": "Henkilökohtainen ohjaus", "sv": "Personlig vägledning", "en": "Personal guidance"},
         "needs": ["education", "employment", "everyday_life", "housing", "finances", "psychosocial"],
         "age_min": 15, "age_max": 29, "languages": languages, "municipality_codes": [code],
         "capacity": CAPACITY.get(key, "open")},
    ]


SERVICES = {
    "umbrella": [{"name": {"fi": "Ohjaamoiden yhteinen verkko-ohjaus", "sv": "Gemensam vägledning på nätet",
                           "en": "Online guidance of the Ohjaamos"},
                  "needs": ["education", "employment", "everyday_life"], "age_min": 15, "age_max": 29,
                  "languages": ["fi", "sv", "en"], "municipality_codes": REGION, "capacity": "open"}],
    "employment_area": [{"name": {"fi": "Nuorten työnhaun tuki", "sv": "Stöd för unga arbetssökande",
                                  "en": "Job search support for young people"},
                         "needs": ["employment"], "age_min": 17, "age_max": 29, "languages": ["fi", "sv", "en"],
                         "municipality_codes": REGION, "capacity": "open"}],
    "keuda": [{"name": {"fi": "Tutkintoon valmentava koulutus (TUVA)", "sv": "Utbildning som handleder för examensutbildning",
                        "en": "Preparatory education for a qualification"},
               "needs": ["education"], "age_min": 16, "age_max": 29, "languages": ["fi"],
               "municipality_codes": OTHERS[1][4], "capacity": "waitlist"}],
    "hyria": [{"name": {"fi": "Ammatillinen koulutus ja työpajat", "sv": "Yrkesutbildning och verkstäder",
                        "en": "Vocational education and workshops"},
               "needs": ["education", "employment"], "age_min": 16, "age_max": 29, "languages": ["fi", "en"],
               "municipality_codes": ["106", "694"], "capacity": "open"}],
    "kela": [{"name": {"fi": "Nuoren kuntoutus ja toimeentulo", "sv": "Rehabilitering och utkomst för unga",
                       "en": "Rehabilitation and income support for young people"},
              "needs": ["finances", "rehabilitation"], "age_min": 16, "age_max": 29, "languages": ["fi", "sv", "en"],
              "municipality_codes": [], "capacity": "open"}],
}
CLIENT_SCOPES = ["referrals:read", "referrals:write", "webhooks:manage"]
API_CLIENTS = [("kerava", "Ohjaamo Kerava CRM"), ("jarvenpaa", "Ohjaamo Järvenpää CRM"),
               ("employment_area", "Työllisyysalueen asiakasjärjestelmä"), ("keuda", "Keuda opiskelijahallinto")]
# username, organisation key (None: an operator of the hub), role, display name
PEOPLE = [
    ("operaattori", None, "operator", "Demo Operaattori (KEHA-keskus)"),
    ("kerava.ohjaaja", "kerava", "counsellor", "Demo Ohjaaja, Kerava"),
    ("kerava.admin", "kerava", "org_admin", "Demo Pääkäyttäjä, Kerava"),
    ("jarvenpaa.ohjaaja", "jarvenpaa", "counsellor", "Demo Ohjaaja, Järvenpää"),
    ("tyollisyys.ohjaaja", "employment_area", "counsellor", "Demo Ohjaaja, työllisyysalue"),
]


def load(runtime: ServiceRuntime, keys: KeyStore) -> str:
    """Load the demo data once; returns the credentials text to print (the kept one on later runs)."""
    path = Path(runtime.settings.var_dir) / CREDENTIALS_FILE
    with unit_of_work(runtime.sessions) as session:
        exists = session.scalar(sa.select(Organisation.id).where(Organisation.name_fi == UMBRELLA,
                                                                 Organisation.parent_id.is_(None)))
        if exists:
            kept = path.read_text() if path.exists() else "(the credentials file is gone: rotate secrets to get new ones)\n"
            return "accounts: demo data already loaded\n" + kept
        ids = _organisations(runtime, session)
        for key, entries in {**SERVICES, **{k: _ohjaamo_services(k, code) for k, *_, code in LOCAL_OHJAAMOS}}.items():
            directory.replace(runtime, session, session.get(Organisation, ids[key]), entries)
        lines = ["Demo API clients (client_id / client_secret):"]
        for key, name in API_CLIENTS:
            made = clients.create_client(session, name=name, organisation_id=ids[key], scopes=CLIENT_SCOPES)
            lines.append(f"  {name:40} {made.client.client_id} / {made.secret}")
        lines += ["Demo people (username / password / TOTP secret; sign in at /oauth/authorize via the web forms):"]
        keyring = keys.keyring()
        for username, org_key, role, name in PEOPLE:
            person = people.add_person(runtime, session, organisation_id=ids.get(org_key), role=role,
                                       username=username, name=name)
            password, totp_secret = secrets.token_urlsafe(12), people.new_totp_secret()
            people.enrol(session, keyring, person, password, totp_secret)
            lines.append(f"  {username:20} {role:11} {password} / {totp_secret}")
    text = "\n".join(lines) + "\n"
    _write_private(path, text)
    return f"accounts: demo data loaded (also in {path})\n" + text


def _organisations(runtime: ServiceRuntime, session) -> dict[str, object]:
    def register(name: dict, type_: str, codes: list[str], parent=None, business_id=None):
        return organisations.register(runtime, session, name=name, type=type_, business_id=business_id,
                                      municipality_codes=codes, parent_id=parent, response_deadline_days=14).id

    ids = {"umbrella": register({"fi": UMBRELLA, "sv": "Ohjaamo Mellersta Nyland", "en": "Ohjaamo Central Uusimaa"},
                                "ohjaamo", REGION)}
    for key, fi, sv, code in LOCAL_OHJAAMOS:
        ids[key] = register({"fi": f"Ohjaamo {fi}", "sv": f"Ohjaamo {sv}", "en": f"Ohjaamo {fi}"}, "ohjaamo", [code],
                            parent=ids["umbrella"])
    for key, name, type_, business_id, codes in OTHERS:
        ids[key] = register(name, type_, codes, business_id=business_id)
    return ids


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o600)
