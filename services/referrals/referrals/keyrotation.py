"""`python -m referrals rotate-keys`: move every blob and blind index onto the current keys.

Rotation: put the new key first in `REFERRALS_DATA_KEYS` / `REFERRALS_INDEX_KEYS` (keeping the old
ones after it), restart, run this command, then remove the old keys. New data is written under the
first key as soon as the services restart; this rewrites what was written before.

Idempotent and resumable: a row is rewritten only while its key id is not the current one, in
batches that each commit, so a second run (or a run after a crash) continues where the last
stopped. Rows are updated by core UPDATEs conditional on the key id read, so the referral's version
(its ETag) does not change and a concurrent rotation cannot rewrite a row twice. The blind index
cannot be recomputed from itself: it is recomputed from the decrypted identity code.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa

from shared.db import is_postgres, unit_of_work
from shared.runtime import ServiceRuntime

from referrals.bootstrap import vault_of
from referrals.models import HistoryEntry, Referral

log = logging.getLogger(__name__)


@dataclass
class RotationReport:
    referrals: int = 0
    texts: int = 0

    def __str__(self) -> str:
        return f"rewrote {self.referrals} referrals and {self.texts} comment/note texts under the current keys"


def rotate_keys(runtime: ServiceRuntime, batch: int = 200) -> RotationReport:
    report = RotationReport()
    while (done := _rotate_referrals(runtime, batch)):
        report.referrals += done
    while (done := _rotate_texts(runtime, batch)):
        report.texts += done
    log.info("key rotation: %s", report)
    return report


def _locked(runtime: ServiceRuntime, select: sa.Select) -> sa.Select:
    """Several rotations may run at once on PostgreSQL: each takes rows the others have not."""
    return select.with_for_update(skip_locked=True) if is_postgres(runtime.engine) else select


def _rotate_referrals(runtime: ServiceRuntime, batch: int) -> int:
    vault = vault_of(runtime)
    data_key, index_key = vault.data_keys.current, vault.index_keys.current
    table = Referral.__table__
    stale = sa.and_(table.c.client_data_purged_at.is_(None),
                    sa.or_(table.c.data_key_id != data_key, table.c.index_key_id.is_(None),
                           table.c.index_key_id != index_key))
    with unit_of_work(runtime.sessions) as session:
        rows = session.execute(_locked(runtime, sa.select(table.c.id, table.c.data_key_id, table.c.data_blob)
                                       .where(stale).order_by(table.c.id).limit(batch))).all()
        for row in rows:
            data = vault.open(row.id, row.data_key_id, row.data_blob)
            key_id, blob = vault.seal(row.id, data) if row.data_key_id != data_key else (row.data_key_id, row.data_blob)
            session.execute(table.update().where(table.c.id == row.id, table.c.data_key_id == row.data_key_id)
                            .values(data_key_id=key_id, data_blob=blob, client_index=vault.client_index(data["client"]),
                                    index_key_id=index_key))
    return len(rows)


def _rotate_texts(runtime: ServiceRuntime, batch: int) -> int:
    vault = vault_of(runtime)
    table = HistoryEntry.__table__
    stale = sa.and_(table.c.text_blob.is_not(None), table.c.text_key_id != vault.data_keys.current)
    with unit_of_work(runtime.sessions) as session:
        rows = session.execute(_locked(runtime, sa.select(table.c.id, table.c.referral_id, table.c.text_key_id,
                                                          table.c.text_blob).where(stale).limit(batch))).all()
        for row in rows:
            text = vault.open_text(row.referral_id, row.id, row.text_key_id, row.text_blob)
            key_id, blob = vault.seal_text(row.referral_id, row.id, text)
            session.execute(table.update().where(table.c.id == row.id, table.c.text_key_id == row.text_key_id)
                            .values(text_key_id=key_id, text_blob=blob))
    return len(rows)
