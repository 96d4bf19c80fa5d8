"""Keyset pagination for every list: stable order (created_at, key) and an opaque cursor."""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.problems import field_error

from accounts.api.schemas import PageQuery


def _encode(created_at: datetime, key) -> str:
    raw = json.dumps([created_at.isoformat(), str(key)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, key_type: Callable) -> tuple[datetime, object]:
    try:
        created_at, key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at = datetime.fromisoformat(created_at)
        if at.tzinfo is None or not isinstance(key, str) or "\x00" in key:
            raise ValueError("not one of our cursors")
        return at, key_type(key)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise field_error("cursor", "Not a cursor from a previous page's next_cursor.") from None


def page(session: Session, statement: sa.Select, created_column, key_column, query: PageQuery,
         key_type: Callable = str, convert: Callable = lambda row: row) -> dict:
    """One page of `statement`'s entities as `{"items", "next_cursor"}`."""
    if query.cursor:
        at, key = _decode(query.cursor, key_type)
        statement = statement.where(sa.or_(created_column > at, sa.and_(created_column == at, key_column > key)))
    rows = session.scalars(statement.order_by(created_column, key_column).limit(query.limit + 1)).all()
    more, rows = len(rows) > query.limit, rows[:query.limit]
    last = rows[-1] if rows else None
    next_cursor = _encode(getattr(last, created_column.key), getattr(last, key_column.key)) if more else None
    return {"items": [convert(row) for row in rows], "next_cursor": next_cursor}
