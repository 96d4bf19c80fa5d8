"""Cursor paging for every list (CONTRACT.md "Lists"): `{"items": [...], "next_cursor": ...}`.

Keyset paging on a unique, stable ordering: cheap at any depth and stable under inserts. The
cursor is opaque to callers (base64 of the last row's ordering values); a forged one is a 422
naming `cursor`, never a 500.
"""
from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field

from shared.problems import field_error


class PageQuery(BaseModel):
    limit: int = Field(default=50, ge=1, le=200, description="Page size, 1–200.")
    cursor: str | None = Field(default=None, max_length=500, description="`next_cursor` of the previous page.")


def _plain(value: Any):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_plain(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, types: Sequence[Callable[[Any], Any]]) -> list[Any]:
    """The ordering values of a cursor, converted by `types`; 422 naming `cursor` if it is not ours."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("wrong shape")
        converted = [kind(value) for kind, value in zip(types, values)]
        if any(isinstance(v, datetime) and v.tzinfo is None for v in converted):
            raise ValueError("naive time")
        return converted
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, AttributeError, OverflowError):
        raise field_error("cursor", "Not a cursor from a previous page's next_cursor.") from None


def as_datetime(value: str) -> datetime:
    return datetime.fromisoformat(value)


def keyset_page(session, statement: sa.Select, order: Sequence[sa.ColumnElement], types: Sequence[Callable],
                query: PageQuery, *, descending: bool = False, convert: Callable = lambda row: row,
                scalars: bool = True) -> dict:
    """One page of `statement` ordered by the unique `order` columns, after `query.cursor`."""
    if query.cursor:
        after = decode_cursor(query.cursor, types)
        statement = statement.where(
            sa.tuple_(*order) < sa.tuple_(*after) if descending else sa.tuple_(*order) > sa.tuple_(*after))
    ordering = [column.desc() for column in order] if descending else list(order)
    result = session.execute(statement.order_by(*ordering).limit(query.limit + 1))
    rows = result.scalars().all() if scalars else result.all()
    more, rows = len(rows) > query.limit, rows[:query.limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, column.key) for column in order])
    return {"items": [convert(row) for row in rows], "next_cursor": next_cursor}
