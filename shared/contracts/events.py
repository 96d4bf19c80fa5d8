"""One pydantic model per event type on `hub.events` (CONTRACT.md).

Events are thin: ids, organisation ids, statuses, coded reasons and a per-aggregate `sequence`
(consumers ignore an event older than what they have). Never a young person's personal data:
every model forbids extra fields, so a stray field fails at the producer, not at a receiver.
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

OrganisationType = Literal[
    "ohjaamo", "employment_area", "te_office", "municipality", "kela", "education_provider", "ngo", "operator"
]
ReferralStatus = Literal[
    "sent", "received", "accepted", "declined", "in_progress", "completed", "withdrawn", "expired"
]
DeclineReason = Literal[
    "at_capacity", "not_eligible", "outside_service_area", "client_unreachable", "client_declined", "duplicate", "other"
]
WithdrawReason = Literal["client_request", "duplicate", "sent_in_error", "other", "receiver_deactivated"]
Outcome = Literal[
    "started_education", "started_work", "work_trial", "rehabilitation", "other_service", "no_change", "lost_contact"
]
Capacity = Literal["open", "waitlist", "closed"]
# The fixed list of needs (CONTRACT.md): a referral's `needs` and the service directory's.
Need = Literal["education", "employment", "housing", "finances", "health", "psychosocial", "rehabilitation",
               "everyday_life", "other"]


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalisedName(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fi: str
    sv: str | None = None
    en: str | None = None


# --- accounts -------------------------------------------------------------------------------

class OrganisationSnapshot(EventData):
    """Everything other services keep of an organisation in their read models."""

    organisation_id: UUID
    name: LocalisedName
    type: OrganisationType
    business_id: str | None = None
    municipality_codes: list[str] = []
    parent_id: UUID | None = None
    active: bool = True
    response_deadline_days: int | None = None
    sequence: int


class OrganisationRegistered(OrganisationSnapshot):
    pass


class OrganisationUpdated(OrganisationSnapshot):
    pass


class OrganisationDeactivated(OrganisationSnapshot):
    pass


class OrganisationReactivated(OrganisationSnapshot):
    pass


class ServiceCapacity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service_id: UUID
    needs: list[str]
    capacity: Capacity


class OrganisationServicesUpdated(EventData):
    organisation_id: UUID
    services: list[ServiceCapacity]
    sequence: int


class ApiClientRevoked(EventData):
    client_id: str
    organisation_id: UUID | None = None
    revoked_at: datetime


# --- referrals ------------------------------------------------------------------------------

class ReferralEvent(EventData):
    """Common part of every referral.* event: who, which status, which version."""

    referral_id: UUID
    from_organisation_id: UUID
    to_organisation_id: UUID
    status: ReferralStatus
    sequence: int = Field(description="The referral's version after this change.")
    occurred_at: datetime


class ReferralSent(ReferralEvent):
    urgency: Literal["normal", "urgent"] = "normal"
    deadline_at: datetime | None = None


class ReferralReceived(ReferralEvent):
    pass


class ReferralAccepted(ReferralEvent):
    pass


class ReferralDeclined(ReferralEvent):
    reason: DeclineReason


class ReferralStarted(ReferralEvent):
    pass


class ReferralCompleted(ReferralEvent):
    outcome: Outcome


class ReferralWithdrawn(ReferralEvent):
    reason: WithdrawReason


class ReferralExpired(ReferralEvent):
    pass


class ReferralReminder(ReferralEvent):
    deadline_at: datetime


class ReferralCommented(ReferralEvent):
    comment_id: UUID
    author_organisation_id: UUID


class ReferralConsentWithdrawn(ReferralEvent):
    pass


# --- notifications --------------------------------------------------------------------------

class NotificationOutcome(EventData):
    notification_id: UUID
    channel: Literal["webhook", "email", "in_app"]
    organisation_id: UUID
    event_id: UUID
    event_type: str
    referral_id: UUID | None = None
    webhook_id: UUID | None = None
    at: datetime


class NotificationDelivered(NotificationOutcome):
    pass


class NotificationFailed(NotificationOutcome):
    status: Literal["permanent-failure", "technical-failure"]


class PersonSnapshot(EventData):
    """What the other services keep of a person: who may be told of what, and whose tokens to refuse.

    Ids and role only: never the person's name, username or contact details (notifications asks the
    person for those itself).
    """

    person_id: UUID
    organisation_id: UUID | None = Field(default=None, description="None for operators.")
    role: Literal["counsellor", "org_admin", "operator"]
    active: bool = True
    sequence: int


class PersonRegistered(PersonSnapshot):
    pass


class PersonUpdated(PersonSnapshot):
    pass


class PersonDeactivated(PersonSnapshot):
    pass


class PersonReactivated(PersonSnapshot):
    pass


class WebhookDisabled(EventData):
    webhook_id: UUID
    organisation_id: UUID
    reason: str
    at: datetime


EVENT_TYPES: dict[str, type[EventData]] = {
    "organisation.registered": OrganisationRegistered,
    "organisation.updated": OrganisationUpdated,
    "organisation.deactivated": OrganisationDeactivated,
    "organisation.reactivated": OrganisationReactivated,
    "organisation.services_updated": OrganisationServicesUpdated,
    "api_client.revoked": ApiClientRevoked,
    "person.registered": PersonRegistered,
    "person.updated": PersonUpdated,
    "person.deactivated": PersonDeactivated,
    "person.reactivated": PersonReactivated,
    "referral.sent": ReferralSent,
    "referral.received": ReferralReceived,
    "referral.accepted": ReferralAccepted,
    "referral.declined": ReferralDeclined,
    "referral.started": ReferralStarted,
    "referral.completed": ReferralCompleted,
    "referral.withdrawn": ReferralWithdrawn,
    "referral.expired": ReferralExpired,
    "referral.reminder": ReferralReminder,
    "referral.commented": ReferralCommented,
    "referral.consent_withdrawn": ReferralConsentWithdrawn,
    "notification.delivered": NotificationDelivered,
    "notification.failed": NotificationFailed,
    "webhook.disabled": WebhookDisabled,
}
TYPE_OF: dict[type[EventData], str] = {model: name for name, model in EVENT_TYPES.items()}


def event_type_of(data: EventData) -> str:
    return TYPE_OF[type(data)]
