"""The signed-in person's notices: their organisation's, newest first, with their own read markers.

People only (counsellors and organisation admins): API clients and operators get 403. A notice of
another organisation is 404, as if it did not exist.
"""
from __future__ import annotations

from flask import current_app, jsonify
from flask_openapi3 import APIBlueprint, Tag

from shared.auth import current_principal, require_token
from shared.db import unit_of_work
from shared.web import BEARER

from notifications.api.schemas import (ERRORS, NoticeOut, NoticePage, NoticePath, NoticeQuery, ReadAllOut,
                                       UnreadCount)
from notifications.notices import reading
from notifications.notices.reading import Reader

tag = Tag(name="notices", description="In-app notices of the caller's organisation (people only)")
bp = APIBlueprint("notices", __name__, url_prefix="/v1/notices", abp_tags=[tag], abp_security=BEARER)
require_token(bp)


def _sessions():
    return current_app.extensions["hub.runtime"].sessions


def _out(item: dict) -> dict:
    return NoticeOut.model_validate(item).model_dump(mode="json")


@bp.get("", responses={200: NoticePage, **ERRORS}, summary="List notices")
def list_notices(query: NoticeQuery):
    """The caller's organisation's notices, newest first, each with `read`; `unread_only=true` filters."""
    reader = Reader.of(current_principal())
    with _sessions()() as session:
        page = reading.page(session, reader, query, query.unread_only)
    return jsonify(items=[_out(item) for item in page["items"]], next_cursor=page["next_cursor"])


@bp.get("/unread-count", responses={200: UnreadCount, **ERRORS}, summary="Count unread notices")
def unread_count():
    reader = Reader.of(current_principal())
    with _sessions()() as session:
        return jsonify(unread=reading.unread_count(session, reader))


@bp.post("/<notice_id>/read", responses={200: NoticeOut, **ERRORS}, summary="Mark a notice read")
def mark_read(path: NoticePath):
    """Idempotent: a notice already read stays read."""
    reader = Reader.of(current_principal())
    with unit_of_work(_sessions()) as session:
        return jsonify(_out(reading.mark_read(session, reader, path.notice_id)))


@bp.post("/read-all", responses={200: ReadAllOut, **ERRORS}, summary="Mark every notice read")
def mark_all_read():
    reader = Reader.of(current_principal())
    with unit_of_work(_sessions()) as session:
        return jsonify(marked=reading.mark_all_read(session, reader))
