"""Keyset pagination with opaque cursors: stable under inserts, cheap at any depth."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime

import sqlalchemy as sa

from shared.problems import field_error


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created_at, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        when = datetime.fromisoformat(created_at)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, uuid.UUID(row_id)
    except (ValueError, TypeError):
        raise field_error("cursor", "This cursor is not one the hub gave out.") from None


def page(session, query, created_col, id_col, *, limit: int, cursor: str | None, newest_first: bool):
    """(rows, next_cursor) for `query` ordered by (created, id), after `cursor`."""
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        if newest_first:
            query = query.where(sa.or_(created_col < created_at, sa.and_(created_col == created_at, id_col < row_id)))
        else:
            query = query.where(sa.or_(created_col > created_at, sa.and_(created_col == created_at, id_col > row_id)))
    order = (created_col.desc(), id_col.desc()) if newest_first else (created_col, id_col)
    rows = session.execute(query.order_by(*order).limit(limit + 1)).scalars().all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.id)
