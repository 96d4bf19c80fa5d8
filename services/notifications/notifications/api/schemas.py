"""Request and response bodies of the API, as the OpenAPI document shows them."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

from shared.languages import LANGUAGES
from shared.paging import PageQuery
from shared.web import COMMON_ERRORS

from notifications.delivery.fanout import ALL_TYPES, DELIVERABLE_TYPES
from notifications.models import DELIVERY_STATUSES, EMAIL_FREQUENCIES

EventTypeName = Literal[(ALL_TYPES, *DELIVERABLE_TYPES)]  # type: ignore[valid-type]
DeliveryStatus = Literal[DELIVERY_STATUSES]  # type: ignore[valid-type]


ERRORS = COMMON_ERRORS


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, description="https:// (or http://) URL receiving POSTs.",
                     examples=["https://te.example.fi/hub-events"])
    event_types: list[EventTypeName] = Field(
        min_length=1, max_length=50,
        description='referral.* and organisation.* types, or "*" for all of them. notification.* are never sent.')


class WebhookPatch(BaseModel):
    """What an organisation may change on its endpoint without a new secret; omitted fields stay."""
    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = Field(default=None, description="false stops deliveries; true resumes them for new "
                                                            "events and clears `disabled_reason`.")
    event_types: list[EventTypeName] | None = Field(default=None, min_length=1, max_length=50,
                                                    description="Replaces the filter; applies to events from now on.")


class WebhookPath(BaseModel):
    webhook_id: UUID


class WebhookOut(BaseModel):
    id: UUID
    organisation_id: UUID
    url: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = None
    created_at: datetime
    previous_secret_expires_at: datetime | None = Field(
        default=None, description="During a rotation: until then the previous secret signs too.")


class WebhookWithSecret(WebhookOut):
    secret: str = Field(description="whsec_... — shown only when created and on rotation.")


class WebhookPage(BaseModel):
    items: list[WebhookOut]
    next_cursor: str | None


class RecoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime = Field(description="Re-queue the endpoint's failed deliveries created since then.")


class RecoverOut(BaseModel):
    requeued: int


class AttemptOut(BaseModel):
    at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None


class DeliveryOut(BaseModel):
    id: UUID
    webhook_id: UUID
    organisation_id: UUID
    event_id: str
    event_type: str
    referral_id: UUID | None
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
    attempts: list[AttemptOut]


class DeliveryQuery(PageQuery):
    webhook_id: UUID | None = None
    status: DeliveryStatus | None = None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


# -- people's notices and settings ---------------------------------------------------------------

class NoticeOut(BaseModel):
    id: UUID
    kind: str = Field(description="The event type: referral.sent, referral.accepted, referral.declined, "
                                  "referral.completed, referral.expired, referral.withdrawn, referral.commented, "
                                  "referral.reminder, or (admins) webhook.disabled.",
                      examples=["referral.sent"])
    referral_id: UUID | None
    webhook_id: UUID | None
    code: str | None = Field(description="The decline or withdraw reason, or the outcome, as coded in the event.")
    occurred_at: datetime
    created_at: datetime
    read: bool = Field(description="Whether the caller has read it (markers are per person).")


class NoticePage(BaseModel):
    items: list[NoticeOut]
    next_cursor: str | None


class NoticeQuery(PageQuery):
    unread_only: bool = Field(default=False, description="Only notices the caller has not read.")


class NoticePath(BaseModel):
    notice_id: UUID


class UnreadCount(BaseModel):
    unread: int


class ReadAllOut(BaseModel):
    marked: int = Field(description="How many notices were unread and are now read.")


class NotificationSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[EmailStr, Field(max_length=254)] | None = Field(
        default=None, description="Where email notifications go; null for none (notices stay in-app). "
                                  "Kept encrypted, never shown to anyone else.", examples=["ohjaaja@kerava.fi"])
    language: Literal[LANGUAGES] = Field(description="The language of the emails.")  # type: ignore[valid-type]
    email_frequency: Literal[EMAIL_FREQUENCIES] = Field(  # type: ignore[valid-type]
        description="immediately: one email per notice; daily: one digest a day; off: none.")


class NotificationSettingsOut(BaseModel):
    email: str | None
    language: str
    email_frequency: str
