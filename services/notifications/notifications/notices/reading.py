"""A person's view of their organisation's notices: the list with read markers, the unread count,
marking one or all read. Shared by the API (`api/notices.py`) and the notices page.

A person sees the notices of the organisation in their token whose audience includes their role
(admins also see their organisation's webhook notices); any other notice is "not found".
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from shared.auth import Principal, forbidden
from shared.db import UTCDateTime, dialect_insert, utcnow
from shared.paging import PageQuery, as_datetime, keyset_page
from shared.problems import ProblemError

from notifications.models import Notice, NoticeRead
from notifications.notices.people import AUDIENCE_ROLES

PEOPLE_ROLES = ("counsellor", "org_admin")
NOTICE_COLUMNS = (Notice.id, Notice.kind, Notice.referral_id, Notice.webhook_id, Notice.code, Notice.occurred_at,
                  Notice.created_at)


@dataclass(frozen=True)
class Reader:
    person_id: uuid.UUID
    organisation_id: uuid.UUID
    roles: frozenset[str]

    @classmethod
    def of(cls, principal: Principal) -> "Reader":
        """The signed-in counsellor or admin; 403 for operators, API clients and tokens without a person."""
        if principal.is_operator or principal.client_id or not principal.roles & set(PEOPLE_ROLES):
            raise forbidden("Notices and notification settings are for counsellors and organisation admins.")
        try:
            return cls(uuid.UUID(principal.subject), uuid.UUID(str(principal.organisation_id)), principal.roles)
        except ValueError:
            raise forbidden("The token names no person of an organisation.") from None

    @property
    def audiences(self) -> list[str]:
        return [audience for audience, roles in AUDIENCE_ROLES.items() if self.roles & set(roles)]

    def visible(self) -> sa.ColumnElement[bool]:
        return sa.and_(Notice.organisation_id == self.organisation_id, Notice.audience.in_(self.audiences))

    def read_marker(self) -> sa.ColumnElement[bool]:
        return sa.and_(NoticeRead.notice_id == Notice.id, NoticeRead.person_id == self.person_id)


def _as_item(row, read: bool | None = None) -> dict:
    return {"id": row.id, "kind": row.kind, "referral_id": row.referral_id, "webhook_id": row.webhook_id,
            "code": row.code, "occurred_at": row.occurred_at, "created_at": row.created_at,
            "read": row.read_at is not None if read is None else read}


def page(session, reader: Reader, query: PageQuery, unread_only: bool = False) -> dict:
    """Newest first, each with `read`; `{"items", "next_cursor"}` as every list of the hub."""
    statement = (sa.select(*NOTICE_COLUMNS, NoticeRead.read_at)
                 .outerjoin(NoticeRead, reader.read_marker()).where(reader.visible()))
    if unread_only:
        statement = statement.where(NoticeRead.read_at.is_(None))
    return keyset_page(session, statement, [Notice.created_at, Notice.id], [as_datetime, uuid.UUID], query,
                       descending=True, scalars=False, convert=_as_item)


def unread_count(session, reader: Reader) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Notice)
                          .where(reader.visible(), ~sa.exists().where(reader.read_marker())))


def mark_read(session, reader: Reader, notice_id: uuid.UUID) -> dict:
    """Mark one notice read (again: no change); 404 when it is not one the reader sees."""
    row = session.execute(sa.select(*NOTICE_COLUMNS).where(Notice.id == notice_id, reader.visible())).first()
    if row is None:
        raise ProblemError(404, "Not Found", "No such notice.", code="not-found")
    session.execute(dialect_insert(session, NoticeRead)
                    .values(person_id=reader.person_id, notice_id=notice_id, read_at=utcnow())
                    .on_conflict_do_nothing(index_elements=["person_id", "notice_id"]))
    return _as_item(row, read=True)


def mark_all_read(session, reader: Reader) -> int:
    """Mark every notice the reader sees read, in one statement; returns how many were unread."""
    unread = (sa.select(sa.literal(reader.person_id, sa.Uuid), Notice.id, sa.literal(utcnow(), UTCDateTime()))
              .where(reader.visible(), ~sa.exists().where(reader.read_marker())))
    statement = (dialect_insert(session, NoticeRead)
                 .from_select(["person_id", "notice_id", "read_at"], unread)
                 .on_conflict_do_nothing(index_elements=["person_id", "notice_id"])
                 .returning(NoticeRead.notice_id))
    return len(session.execute(statement).all())  # counted from RETURNING: psycopg's rowcount can be -1
