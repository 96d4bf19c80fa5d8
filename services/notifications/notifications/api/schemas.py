"""Request and response bodies of the API, as the OpenAPI document shows them."""
from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.paging import PageQuery
from shared.web import COMMON_ERRORS

from notifications.delivery.fanout import ALL_TYPES, DELIVERABLE_TYPES
from notifications.models import DELIVERY_STATUSES

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
