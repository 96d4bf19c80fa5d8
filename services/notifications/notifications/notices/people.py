"""The people read model (from accounts' person.* events) and who of an organisation may get email.

Only active counsellors and admins of the organisation concerned, as this read model knows them,
are emailed: a person deactivated in accounts stops getting mail as soon as the event arrives,
whatever their settings say, and a person not (yet) known here gets none.
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa

from shared.contracts.envelope import Event
from shared.db import keep_newest

from notifications.models import NotificationSettings, Person

#: The roles an audience reaches.
AUDIENCE_ROLES = {"everyone": ("counsellor", "org_admin"), "org_admin": ("org_admin",)}
PERSON_SNAPSHOTS = ("person.registered", "person.updated", "person.deactivated", "person.reactivated")


def on_person(session, event: Event) -> None:
    """Keep the newest snapshot of a person; an older one (by sequence) arriving late changes nothing."""
    data = event.data
    keep_newest(session, Person, data.person_id, data.sequence, organisation_id=data.organisation_id,
                role=data.role, active=data.active)


def email_recipients(organisation_id: uuid.UUID | None = None, audience: str = "everyone",
                     frequency: str = "immediately") -> sa.Select:
    """Person ids (and organisation ids) to email with `frequency` for a notice to `organisation_id`
    (None: of every organisation) for `audience`."""
    statement = (sa.select(Person.person_id, Person.organisation_id)
                 .join(NotificationSettings, NotificationSettings.person_id == Person.person_id)
                 .where(Person.active.is_(True), Person.organisation_id.is_not(None),
                        Person.role.in_(AUDIENCE_ROLES[audience]),
                        NotificationSettings.email_frequency == frequency,
                        NotificationSettings.email_encrypted.is_not(None)))
    if organisation_id is not None:
        statement = statement.where(Person.organisation_id == organisation_id)
    return statement


def may_be_emailed(session, person_id: uuid.UUID, organisation_id: uuid.UUID, audience: str) -> bool:
    """Still an active member of the organisation in a role the notice is for (checked again at sending)."""
    person = session.get(Person, person_id)
    return (person is not None and person.active and person.organisation_id == organisation_id
            and person.role in AUDIENCE_ROLES[audience])


def is_inactive(session, person_id: uuid.UUID) -> bool:
    person = session.get(Person, person_id)
    return person is not None and not person.active
