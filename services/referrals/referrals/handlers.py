"""Inbox handlers: accounts' organisation events feed the organisations read model and the
capacity of their services; revoked API clients and person events feed the token denylist;
notifications' delivery events tell when a receiver was notified. Each ignores an event older than
what it already has."""
from __future__ import annotations

import sqlalchemy as sa

from shared.contracts.envelope import Event
from shared.contracts.events import (ApiClientRevoked, NotificationDelivered, OrganisationServicesUpdated,
                                     OrganisationSnapshot, PersonSnapshot)
from shared.db import keep_newest, utcnow

from referrals.bootstrap import runtime_of
from referrals.domain import lifecycle
from referrals.domain.lifecycle import Action, Party
from referrals.domain.capacity import best_capacity_by_need
from referrals.models import Organisation, OrganisationCapacity, Person, Referral, RevokedClient
from referrals.usecases import apply


def on_organisation(session, event: Event) -> None:
    data: OrganisationSnapshot = event.data
    organisation = keep_newest(session, Organisation, data.organisation_id, data.sequence,
                               name=data.name.model_dump(exclude_none=True), type=data.type, active=data.active,
                               parent_id=data.parent_id, response_deadline_days=data.response_deadline_days,
                               updated_at=utcnow())
    if organisation is None:
        return  # stale or redelivered
    session.flush()
    if not data.active:
        _withdraw_open_referrals_to(session, organisation)


def _withdraw_open_referrals_to(session, organisation: Organisation) -> None:
    """CONTRACT.md: open referrals to a deactivated organisation end as withdrawn
    (`receiver_deactivated`), and their senders are told by the event."""
    runtime, now = runtime_of(session), utcnow()
    withdrawable = [str(s) for s in lifecycle.sources_of(Action.WITHDRAW)]
    referrals = session.execute(
        sa.select(Referral).where(Referral.to_organisation_id == organisation.id, Referral.status.in_(withdrawable))
        .with_for_update()).scalars().all()
    for referral in referrals:
        apply(session, runtime, referral, Action.WITHDRAW, Party.SYSTEM, subject="hub:organisation-deactivated",
              organisation_id=None, now=now, code=lifecycle.SYSTEM_WITHDRAW_REASON)


def on_api_client_revoked(session, event: Event) -> None:
    data: ApiClientRevoked = event.data
    revoked = session.get(RevokedClient, data.client_id)
    if revoked is None:
        session.add(RevokedClient(client_id=data.client_id, organisation_id=data.organisation_id,
                                  revoked_at=data.revoked_at))
    elif data.revoked_at > revoked.revoked_at:
        revoked.revoked_at = data.revoked_at


def on_person(session, event: Event) -> None:
    """Keep the person's latest state: referrals refuses the tokens of a known, inactive person."""
    data: PersonSnapshot = event.data
    keep_newest(session, Person, data.person_id, data.sequence, organisation_id=data.organisation_id,
                role=data.role, active=data.active, updated_at=utcnow())


def on_services_updated(session, event: Event) -> None:
    data: OrganisationServicesUpdated = event.data
    capacity = session.get(OrganisationCapacity, data.organisation_id)
    if capacity is not None and capacity.sequence >= data.sequence:
        return
    if capacity is None:
        capacity = OrganisationCapacity(organisation_id=data.organisation_id)
        session.add(capacity)
    capacity.capacity_by_need = best_capacity_by_need((s.needs, s.capacity) for s in data.services)
    capacity.sequence = data.sequence
    capacity.updated_at = utcnow()


def on_notification_delivered(session, event: Event) -> None:
    """The receiver's organisation was notified of a referral: keep the first time it was."""
    data: NotificationDelivered = event.data
    if data.referral_id is None:
        return
    table = Referral.__table__
    # A core UPDATE: not a change of the referral's own state, so its version (ETag) stays.
    session.execute(table.update().where(
        table.c.id == data.referral_id, table.c.to_organisation_id == data.organisation_id,
        sa.or_(table.c.receiver_notified_at.is_(None), table.c.receiver_notified_at > data.at),
    ).values(receiver_notified_at=data.at))


HANDLERS = {
    "organisation.registered": on_organisation,
    "organisation.updated": on_organisation,
    "organisation.deactivated": on_organisation,
    "organisation.reactivated": on_organisation,
    "organisation.services_updated": on_services_updated,
    "api_client.revoked": on_api_client_revoked,
    "person.registered": on_person,
    "person.updated": on_person,
    "person.deactivated": on_person,
    "person.reactivated": on_person,
    "notification.delivered": on_notification_delivered,
}
