"""Demo data: the Keski-Uusimaa network, loaded once, with working generated credentials."""
from __future__ import annotations

import re
import stat

from accounts import demo
from accounts.__main__ import main as accounts_cli
from accounts.keys import KeyStore
from tests.accounts.conftest import bearer


def test_demo_network_loads_once_with_working_credentials(hub):
    keys = KeyStore(hub.runtime.settings, hub.runtime.sessions)
    first = demo.load(hub.runtime, keys)
    again = demo.load(hub.runtime, keys)
    assert "already loaded" in again and first.split("\n", 1)[1] == again.split("\n", 1)[1]
    path = hub.runtime.settings.var_dir / demo.CREDENTIALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    operator = hub.operator()
    umbrella = hub.client.get("/v1/organisations?type=ohjaamo&limit=200", headers=operator).json["items"]
    umbrella = [org for org in umbrella if org["name"]["fi"] == demo.UMBRELLA]
    assert len(umbrella) == 1
    children = hub.client.get(f"/v1/organisations?parent_id={umbrella[0]['id']}", headers=operator).json["items"]
    assert sorted((org["name"]["fi"], org["municipality_codes"]) for org in children) == [
        ("Ohjaamo Hyvinkää", ["106"]), ("Ohjaamo Järvenpää", ["186"]), ("Ohjaamo Kerava", ["245"]),
        ("Ohjaamo Mäntsälä", ["505"]), ("Ohjaamo Nurmijärvi", ["543"]), ("Ohjaamo Pornainen", ["611"]),
        ("Ohjaamo Sipoo", ["753"]), ("Ohjaamo Tuusula", ["858"])]
    types = {org["type"] for org in hub.client.get("/v1/organisations?limit=200", headers=operator).json["items"]}
    assert {"employment_area", "education_provider", "kela", "ohjaamo"} <= types

    client_id, secret = re.search(r"Ohjaamo Kerava CRM\s+(\S+) / (\S+)", first).groups()
    token = hub.token(client_id, secret)
    found = hub.client.get("/v1/services?municipality=245&need=employment", headers=bearer(token)).json["items"]
    assert {entry["organisation_name"]["fi"] for entry in found} >= {"Ohjaamo Kerava", "Keski-Uudenmaan työllisyysalue"}
    assert re.search(r"kerava\.ohjaaja\s+counsellor\s+\S+ / [A-Z2-7]{32}", first)


def test_migrate_loads_demo_data_only_when_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUB_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HUB_DEMO_DATA", "0")
    assert accounts_cli(["migrate"]) == 0
    assert "demo" not in capsys.readouterr().out and not (tmp_path / demo.CREDENTIALS_FILE).exists()
    monkeypatch.setenv("HUB_DEMO_DATA", "1")
    assert accounts_cli(["migrate"]) == 0
    assert "Ohjaamo Kerava CRM" in capsys.readouterr().out
