"""The operator console's JSON API: the hub's services and queues, failing endpoints, a referral's timeline.

Operators only (role `operator`, scope `ops:read`). Each service's own dead letters are listed,
replayed and discarded at that service's `/v1/ops/dead-letters` (`shared.ops`); this service's
are there too, under the same paths.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from flask import current_app, jsonify, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from shared.auth import require_token
from shared.ops import OpsStatus, operator
from shared.paging import PageQuery, as_datetime, keyset_page
from shared.problems import ProblemError
from shared.web import BEARER, COMMON_ERRORS

from notifications.api.schemas import AttemptOut, DeliveryStatus
from notifications.models import Webhook
from notifications.ops import hub_state
from notifications.ops.timeline import failing_endpoint, failing_endpoints_statement, referral_timeline

tag = Tag(name="console", description="Operators: the whole hub's health, queues, failing endpoints, timelines")
bp = APIBlueprint("console", __name__, url_prefix="/v1/ops", abp_tags=[tag], abp_security=BEARER)
require_token(bp)


class ServiceState(BaseModel):
    service: str
    ready: bool
    checks: dict[str, str]
    status: OpsStatus | None
    error: str | None


class ServiceList(BaseModel):
    items: list[ServiceState]


class QueueDepth(BaseModel):
    queue: str
    exists: bool
    messages: int | None
    consumers: int | None
    error: str | None = None


class QueueList(BaseModel):
    items: list[QueueDepth]


class FailingEndpoint(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    url: str = Field(description="Without its query string.")
    enabled: bool
    disabled_reason: str | None
    first_failure_at: datetime | None
    created_at: datetime
    retrying_deliveries: int


class FailingEndpointPage(BaseModel):
    items: list[FailingEndpoint]
    next_cursor: str | None


class TimelinePath(BaseModel):
    referral_id: uuid.UUID


class TimelineEvent(BaseModel):
    event_id: str
    type: str
    status: str | None
    sequence: int | None
    received_at: datetime
    processed_at: datetime | None
    attempts: int
    dead_at: datetime | None
    last_error: str | None
    trace_id: str | None
    trace_url: str | None


class TimelineDelivery(BaseModel):
    id: uuid.UUID
    webhook_id: uuid.UUID
    organisation_id: uuid.UUID
    event_id: str
    event_type: str
    status: DeliveryStatus
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    attempts: list[AttemptOut]
    trace_id: str | None
    trace_url: str | None


class Timeline(BaseModel):
    referral_id: uuid.UUID
    status: str
    from_organisation_id: uuid.UUID
    to_organisation_id: uuid.UUID
    events: list[TimelineEvent]
    deliveries: list[TimelineDelivery]


def _runtime():
    return current_app.extensions["hub.runtime"]


@bp.get("/services", responses={200: ServiceList, **COMMON_ERRORS}, summary="Every service's health and backlog")
def list_services():
    """Readiness and messaging status of accounts, notifications and referrals, asked with the caller's token."""
    operator()
    items = hub_state.services(_runtime(), request.headers["Authorization"])
    return jsonify(items=[ServiceState.model_validate(item).model_dump(mode="json") for item in items])


@bp.get("/queues", responses={200: QueueList, **COMMON_ERRORS}, summary="Queue depths on the broker")
def list_queues():
    operator()
    try:
        items = hub_state.queue_depths(_runtime().settings.broker_url)
    except Exception:  # the broker is down: say so as the contract says, with a retry hint
        raise ProblemError(503, "Service Unavailable", "The broker does not answer.",
                           headers={"Retry-After": "5"}) from None
    return jsonify(items=[QueueDepth.model_validate(item).model_dump(mode="json") for item in items])


@bp.get("/webhooks/failing", responses={200: FailingEndpointPage, **COMMON_ERRORS},
        summary="Failing and disabled webhook endpoints")
def list_failing_endpoints(query: PageQuery):
    """Endpoints disabled or without a success since their first failure, oldest first."""
    operator()
    with _runtime().sessions() as session:
        page = keyset_page(session, failing_endpoints_statement(), [Webhook.created_at, Webhook.id],
                           [as_datetime, uuid.UUID], query, scalars=False,
                           convert=lambda row: FailingEndpoint.model_validate(failing_endpoint(row))
                           .model_dump(mode="json"))
    return jsonify(page)


@bp.get("/referrals/<referral_id>/timeline", responses={200: Timeline, **COMMON_ERRORS},
        summary="A referral's events and deliveries")
def timeline(path: TimelinePath):
    """What notifications received for the referral and delivered, with trace ids and links to the tracing UI."""
    operator()
    runtime = _runtime()
    found = referral_timeline(runtime, path.referral_id, runtime.settings.tracing_ui_url)
    if found is None:
        raise ProblemError(404, "Not Found", "No events of this referral have reached notifications.",
                           code="not-found")
    return jsonify(Timeline.model_validate(found).model_dump(mode="json"))
