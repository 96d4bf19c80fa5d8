"""`python -m referrals rotate-keys`: afterwards everything is readable with the new keys alone."""
from __future__ import annotations

import base64
import secrets

import pytest
import sqlalchemy as sa

from referrals import keyrotation
from referrals.__main__ import main
from referrals.app import create_app
from referrals.bootstrap import build_runtime
from referrals.models import HistoryEntry, Referral
from tests.referrals.conftest import referral_body


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


OLD_DATA, OLD_INDEX, NEW_DATA, NEW_INDEX = _key(), _key(), _key(), _key()


def _runtime(settings, data_keys: str, index_keys: str):
    return build_runtime(settings.model_copy(update={"data_keys": data_keys, "index_keys": index_keys}))


def _key_ids(runtime) -> tuple[set, set, set]:
    with runtime.sessions() as session:
        data = set(session.execute(sa.select(Referral.data_key_id)).scalars())
        index = set(session.execute(sa.select(Referral.index_key_id)).scalars())
        texts = set(session.execute(sa.select(HistoryEntry.text_key_id).where(HistoryEntry.text_blob.is_not(None)))
                    .scalars())
    return data, index, texts


@pytest.fixture
def old_world(settings, tokens, orgs, as_org):
    """Three referrals (with a comment and a note) written under the old keys."""
    runtime = _runtime(settings, f"d1:{OLD_DATA}", f"i1:{OLD_INDEX}")
    client = create_app(runtime.settings, verifier=tokens.verifier(), runtime=runtime).test_client()
    ids = []
    for _ in range(3):
        created = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.sender)).json
        ids.append(created["id"])
        client.post(f"/v1/referrals/{created['id']}/comments", json={"text": "Soita"}, headers=as_org(orgs.sender))
    client.post(f"/v1/referrals/{ids[0]}/decline", json={"reason": "other", "note": "Muutti"},
                headers=as_org(orgs.receiver))
    runtime.engine.dispose()
    return ids


def test_rotation_moves_everything_to_the_new_keys(settings, tokens, orgs, as_org, old_world):
    rotating = _runtime(settings, f"d2:{NEW_DATA},d1:{OLD_DATA}", f"i2:{NEW_INDEX},i1:{OLD_INDEX}")
    assert _key_ids(rotating) == ({"d1"}, {"i1"}, {"d1"})
    report = keyrotation.rotate_keys(rotating, batch=2)
    assert (report.referrals, report.texts) == (3, 4)
    assert _key_ids(rotating) == ({"d2"}, {"i2"}, {"d2"})
    again = keyrotation.rotate_keys(rotating)
    assert (again.referrals, again.texts) == (0, 0)  # idempotent
    rotating.engine.dispose()

    new_only = _runtime(settings, f"d2:{NEW_DATA}", f"i2:{NEW_INDEX}")
    client = create_app(new_only.settings, verifier=tokens.verifier(), runtime=new_only).test_client()
    for referral_id in old_world:
        body = client.get(f"/v1/referrals/{referral_id}", headers=as_org(orgs.sender)).json
        assert body["client"]["personal_identity_code"] == "010504A902T"
        texts = {h["text"] for h in client.get(f"/v1/referrals/{referral_id}/history",
                                               headers=as_org(orgs.sender)).json["items"]}
        assert "Soita" in texts
    # the blind index under the new key still finds the open referrals of the same client
    again = client.post("/v1/referrals", json=referral_body(orgs.receiver), headers=as_org(orgs.sender)).json
    assert [w["code"] for w in again["warnings"]] == ["open_referral_exists"]
    new_only.engine.dispose()


def test_rotation_resumes_after_a_crash(settings, old_world, monkeypatch):
    rotating = _runtime(settings, f"d2:{NEW_DATA},d1:{OLD_DATA}", f"i2:{NEW_INDEX},i1:{OLD_INDEX}")
    real, calls = keyrotation._rotate_referrals, []

    def crash_on_second_batch(runtime, batch):
        calls.append(batch)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real(runtime, batch)

    monkeypatch.setattr(keyrotation, "_rotate_referrals", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        keyrotation.rotate_keys(rotating, batch=1)
    data, index, _ = _key_ids(rotating)
    assert data == {"d1", "d2"} and index == {"i1", "i2"}  # the first batch was committed
    monkeypatch.setattr(keyrotation, "_rotate_referrals", real)
    assert keyrotation.rotate_keys(rotating, batch=1).referrals == 2
    assert _key_ids(rotating) == ({"d2"}, {"i2"}, {"d2"})
    rotating.engine.dispose()


def test_rotation_without_the_old_key_fails_loudly_and_changes_nothing(settings, old_world):
    rotating = _runtime(settings, f"d2:{NEW_DATA}", f"i2:{NEW_INDEX}")
    with pytest.raises(KeyError):
        keyrotation.rotate_keys(rotating)
    assert _key_ids(rotating)[0] == {"d1"}
    rotating.engine.dispose()


def test_rotate_keys_command(settings, old_world, monkeypatch, capsys):
    monkeypatch.setenv("HUB_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("REFERRALS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REFERRALS_DATA_KEYS", f"d2:{NEW_DATA},d1:{OLD_DATA}")
    monkeypatch.setenv("REFERRALS_INDEX_KEYS", f"i2:{NEW_INDEX},i1:{OLD_INDEX}")
    main(["rotate-keys"])
    assert "rewrote 3 referrals and 4" in capsys.readouterr().out
    main(["rotate-keys"])
    assert "rewrote 0 referrals and 0" in capsys.readouterr().out
    engine = sa.create_engine(settings.database_url)
    with engine.connect() as connection:
        assert set(connection.execute(sa.text("SELECT data_key_id FROM referrals")).scalars()) == {"d2"}
    engine.dispose()
