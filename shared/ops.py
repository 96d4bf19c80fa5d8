"""What operators need of every service's messaging, served by every service the same way.

`GET /v1/ops/status` (outbox backlog and the age of its oldest unpublished event, inbox rows
waiting or retrying, dead letters), `GET /v1/ops/dead-letters` and `POST .../replay|discard`:
the notifications console reads these from each service with the operator's token. The same
figures are gauges on `/metrics`, computed from the database at scrape time, so they are right
whichever process (web worker, relay, consumer) changed them. Operators only: role `operator`
and scope `ops:read`; nothing here shows an event's payload.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app, jsonify
from flask_openapi3 import APIBlueprint, Tag
from prometheus_client.core import GaugeMetricFamily
from pydantic import BaseModel, Field

from shared.auth import Principal, current_principal, forbidden, require_token
from shared.db import unit_of_work, utcnow
from shared.messaging.inbox import discard_dead, replay_dead
from shared.paging import PageQuery, as_datetime, keyset_page
from shared.problems import ProblemError
from shared.telemetry import trace_id_of
from shared.web import BEARER, COMMON_ERRORS

OPS_SCOPE = "ops:read"
tag = Tag(name="ops", description="Operators: the service's event backlog and dead letters")
bp = APIBlueprint("hub_ops", __name__, url_prefix="/v1/ops", abp_tags=[tag], abp_security=BEARER)
require_token(bp)


class OutboxStatus(BaseModel):
    pending: int = Field(description="Events written but not yet confirmed by the broker.")
    retrying: int = Field(description="Pending events whose publishing failed at least once.")
    oldest_pending_age_seconds: float | None = Field(description="Age of the oldest pending event.")


class InboxStatus(BaseModel):
    consumer: str
    waiting: int = Field(description="Received events not yet handled (consumer lag).")
    retrying: int = Field(description="Waiting events whose handler failed at least once.")
    dead: int = Field(description="Dead letters awaiting an operator's replay or discard.")


class OpsStatus(BaseModel):
    service: str
    outbox: OutboxStatus
    inbox: InboxStatus | None = Field(description="null for a service that consumes no events.")


class DeadLetter(BaseModel):
    consumer: str
    event_id: str
    type: str
    attempts: int
    last_error: str | None
    received_at: datetime
    dead_at: datetime
    trace_id: str | None = Field(description="The event's trace, for the tracing UI.")


class DeadLetterPage(BaseModel):
    items: list[DeadLetter]
    next_cursor: str | None


class DeadLetterPath(BaseModel):
    event_id: str = Field(max_length=64)


class Settled(BaseModel):
    event_id: str
    action: str


def operator() -> Principal:
    principal = current_principal(scope=OPS_SCOPE)
    if not principal.is_operator:
        raise forbidden("Only operators may see the service's operations.")
    return principal


def _runtime():
    return current_app.extensions["hub.runtime"]


# -- figures ---------------------------------------------------------------------------------------
def messaging_status(runtime) -> dict:
    """The outbox backlog and, for a consuming service, the inbox's lag and dead letters."""
    outbox, now = runtime.tables.outbox, utcnow()
    with runtime.engine.connect() as connection:
        pending = outbox.c.published_at.is_(None)
        count, retrying, oldest = connection.execute(sa.select(
            sa.func.count(), sa.func.count().filter(outbox.c.attempts > 0), sa.func.min(outbox.c.created_at),
        ).where(pending)).one()
        status = {"service": runtime.service,
                  "outbox": {"pending": count, "retrying": retrying,
                             "oldest_pending_age_seconds": _age(oldest, now)},
                  "inbox": None}
        if runtime.queue_name:
            c = runtime.tables.inbox.c
            waiting, inbox_retrying, dead = connection.execute(sa.select(
                sa.func.count().filter(c.dead_at.is_(None)),
                sa.func.count().filter(c.dead_at.is_(None), c.attempts > 0),
                sa.func.count().filter(c.dead_at.is_not(None)),
            ).where(c.consumer == runtime.queue_name, c.processed_at.is_(None))).one()
            status["inbox"] = {"consumer": runtime.queue_name, "waiting": waiting, "retrying": inbox_retrying,
                               "dead": dead}
    return status


def _age(created_at: datetime | None, now: datetime) -> float | None:
    return None if created_at is None else max(0.0, (now - created_at).total_seconds())


def messaging_metrics(runtime) -> list:
    status = messaging_status(runtime)
    service, outbox, inbox = status["service"], status["outbox"], status["inbox"]

    def gauge(name: str, documentation: str, value, labels: dict | None = None):
        labels = {"service": service, **(labels or {})}
        family = GaugeMetricFamily(name, documentation, labels=list(labels))
        family.add_metric(list(labels.values()), value)
        return family

    families = [
        gauge("hub_outbox_pending", "Events not yet confirmed by the broker", outbox["pending"]),
        gauge("hub_outbox_retrying", "Pending events whose publishing failed at least once", outbox["retrying"]),
        gauge("hub_outbox_oldest_pending_age_seconds", "Age of the oldest unpublished event (0 when none)",
              outbox["oldest_pending_age_seconds"] or 0.0),
    ]
    if inbox:
        consumer = {"consumer": inbox["consumer"]}
        families += [
            gauge("hub_inbox_waiting", "Received events not yet handled (consumer lag)", inbox["waiting"], consumer),
            gauge("hub_inbox_retrying", "Waiting events whose handler failed at least once", inbox["retrying"],
                  consumer),
            gauge("hub_inbox_dead", "Dead letters awaiting an operator", inbox["dead"], consumer),
        ]
    return families


# -- the API ---------------------------------------------------------------------------------------
@bp.get("/status", responses={200: OpsStatus, **COMMON_ERRORS}, summary="Event backlog and dead letters")
def status():
    operator()
    return jsonify(messaging_status(_runtime()))


@bp.get("/dead-letters", responses={200: DeadLetterPage, **COMMON_ERRORS}, summary="List dead letters")
def list_dead_letters(query: PageQuery):
    """Events whose handler failed every attempt, newest first; replay or discard each."""
    operator()
    runtime = _runtime()
    if not runtime.queue_name:
        return jsonify(items=[], next_cursor=None)
    inbox = runtime.tables.inbox
    c = inbox.c
    statement = sa.select(c.consumer, c.event_id, c.type, c.attempts, c.last_error, c.received_at, c.dead_at,
                          c.headers).where(c.consumer == runtime.queue_name, c.dead_at.is_not(None),
                                           c.processed_at.is_(None))
    with runtime.sessions() as session:
        page = keyset_page(session, statement, [c.dead_at, c.event_id], [as_datetime, str], query,
                           descending=True, scalars=False, convert=_dead_letter)
    return jsonify(page)


def _dead_letter(row) -> dict:
    values = dict(row._mapping)
    values["trace_id"] = trace_id_of(values.pop("headers"))
    return DeadLetter.model_validate(values).model_dump(mode="json")


def _settle(event_id: str, action: str):
    operator()
    runtime = _runtime()
    if runtime.queue_name:
        settle = replay_dead if action == "replayed" else discard_dead
        c = runtime.tables.inbox.c
        with unit_of_work(runtime.sessions) as session:
            awaiting = session.execute(sa.select(c.event_id).where(
                c.consumer == runtime.queue_name, c.event_id == event_id, c.dead_at.is_not(None),
                c.processed_at.is_(None))).first()
            if awaiting is not None and settle(session, runtime.tables.inbox, runtime.queue_name, event_id):
                return jsonify(event_id=event_id, action=action)
    raise ProblemError(404, "Not Found", "No dead letter with this event id awaits an operator.", code="not-found")


@bp.post("/dead-letters/<event_id>/replay", responses={200: Settled, **COMMON_ERRORS},
         summary="Replay a dead letter")
def replay(path: DeadLetterPath):
    """The event gets a fresh set of attempts at once; the inbox still runs it at most once."""
    return _settle(path.event_id, "replayed")


@bp.post("/dead-letters/<event_id>/discard", responses={200: Settled, **COMMON_ERRORS},
         summary="Discard a dead letter")
def discard(path: DeadLetterPath):
    """The event is closed without running its handler (kept, for the record)."""
    return _settle(path.event_id, "discarded")


def install(app) -> None:
    """Every service's app: the ops endpoints, and the messaging gauges on `/metrics`."""
    app.register_api(bp)

    def messaging_gauges():
        runtime = app.extensions.get("hub.runtime")
        return messaging_metrics(runtime) if runtime is not None else []

    app.extensions["hub.metrics.collectors"].append(messaging_gauges)
