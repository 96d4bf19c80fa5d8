"""The process entry points: `python -m referrals migrate` and the worker's loops."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from referrals import worker
from referrals.__main__ import main


def test_migrate_command_creates_the_schema(tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("REFERRALS_DATABASE_URL", raising=False)
    main(["migrate"])
    main(["migrate"])  # idempotent
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'referrals.sqlite'}")
    assert {"referrals", "organisations", "outbox", "inbox", "access_log"} <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


@pytest.mark.parametrize("job", ["deadlines", "retention"])
def test_worker_runs_the_standard_loops_and_the_jobs(tmp_path, monkeypatch, job):
    monkeypatch.setenv("HUB_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("REFERRALS_DATABASE_URL", raising=False)
    main(["migrate"])
    settings, spec = worker.build()
    assert spec.service == "referrals"
    assert set(spec.loops) == {"relay", "consume", "process", "deadlines", "retention"}
    stop = threading.Event()
    thread = threading.Thread(target=spec.loops[job], args=(stop,))
    thread.start()
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
