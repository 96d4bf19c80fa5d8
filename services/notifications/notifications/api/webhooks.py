"""Webhook endpoints of the caller's organisation: register, list, change, delete, rotate, recover."""
from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, jsonify
from flask_openapi3 import APIBlueprint, Tag

from shared.auth import forbidden, require_token
from shared.db import unit_of_work, utcnow
from shared.messaging.wakeup import notify
from shared.paging import PageQuery, as_datetime, keyset_page
from shared.problems import ProblemError, field_error
from shared.web import BEARER

from notifications import signing_secrets
from notifications.api.access import managing_organisation, reading_organisation
from notifications.api.schemas import (ERRORS, RecoverIn, RecoverOut, WebhookIn, WebhookOut,
                                       WebhookPage, WebhookPatch, WebhookPath, WebhookWithSecret)
from notifications.delivery.fanout import WAKEUP_CHANNEL
from notifications.models import FAILED_STATUSES, Delivery, Organisation, Webhook
from notifications.url_guard import UnsafeUrl, check_url, resolve

tag = Tag(name="webhooks", description="Endpoints receiving the organisation's events, signed per Standard Webhooks")
bp = APIBlueprint("webhooks", __name__, url_prefix="/v1/webhooks", abp_tags=[tag], abp_security=BEARER)
require_token(bp)


def _runtime():
    return current_app.extensions["hub.runtime"]


def _out(webhook: Webhook, **extra) -> dict:
    return WebhookOut.model_validate(webhook, from_attributes=True).model_dump(mode="json") | extra


def _own(session, webhook_id: uuid.UUID, organisation_id: uuid.UUID) -> Webhook:
    """The caller's endpoint, or 404 — another organisation's endpoint is not even confirmed to exist."""
    webhook = session.get(Webhook, webhook_id)
    if webhook is None or webhook.deleted_at is not None or webhook.organisation_id != organisation_id:
        raise ProblemError(404, "Not Found", "No such webhook endpoint.", code="not-found")
    return webhook


@bp.post("", responses={201: WebhookWithSecret, **ERRORS}, summary="Register an endpoint")
def create_webhook(body: WebhookIn):
    """The secret is shown only in this answer (and on rotation). Loopback and private addresses are refused."""
    organisation_id = managing_organisation()
    runtime = _runtime()
    url = body.url.strip()
    try:
        check_url(url, allow_private=runtime.settings.allow_private_urls,
                  resolver=runtime.extras.get("resolver", resolve))
    except UnsafeUrl as exc:
        message = str(exc)
        raise field_error("url", message[0].upper() + message[1:] + ".") from None
    event_types = list(dict.fromkeys(body.event_types))
    secret = signing_secrets.new_secret()
    with unit_of_work(runtime.sessions) as session:
        organisation = session.get(Organisation, organisation_id)
        if organisation is not None and not organisation.active:
            raise forbidden("The organisation is deactivated.")
        webhook = Webhook(id=uuid.uuid4(), organisation_id=organisation_id, url=url, event_types=event_types,
                          enabled=True, created_at=utcnow())
        signing_secrets.set_secret(runtime.extras["keyring"], webhook, secret)
        session.add(webhook)
        session.flush()
        answer = _out(webhook, secret=secret)
    response = jsonify(answer)
    response.status_code = 201
    response.headers["Location"] = f"/v1/webhooks/{answer['id']}"
    return response


@bp.get("", responses={200: WebhookPage, **ERRORS}, summary="List endpoints")
def list_webhooks(query: PageQuery):
    """The caller's organisation's endpoints, oldest first (operators: every organisation's)."""
    organisation_id = reading_organisation()
    statement = sa.select(Webhook).where(Webhook.deleted_at.is_(None))
    if organisation_id is not None:
        statement = statement.where(Webhook.organisation_id == organisation_id)
    with _runtime().sessions() as session:
        return jsonify(keyset_page(session, statement, [Webhook.created_at, Webhook.id], [as_datetime, uuid.UUID],
                                   query, convert=_out))


@bp.patch("/<webhook_id>", responses={200: WebhookOut, **ERRORS}, summary="Enable, disable or re-filter an endpoint")
def change_webhook(path: WebhookPath, body: WebhookPatch):
    """Disabling stops deliveries, as a 410 or five failing days do: events from then on are not
    queued for the endpoint, and a delivery still waiting ends failed. Enabling clears
    `disabled_reason` and the failure clock; `recover` then re-sends what failed since a time."""
    organisation_id = managing_organisation()
    with unit_of_work(_runtime().sessions) as session:
        webhook = _own(session, path.webhook_id, organisation_id)
        if body.event_types is not None:
            webhook.event_types = list(dict.fromkeys(body.event_types))
        if body.enabled is True and not webhook.enabled:
            webhook.enabled, webhook.disabled_reason, webhook.first_failure_at = True, None, None
            notify(session, WAKEUP_CHANNEL)
        elif body.enabled is False and webhook.enabled:
            webhook.enabled, webhook.disabled_reason = False, "Disabled by the organisation."
        session.flush()
        return jsonify(_out(webhook))


@bp.delete("/<webhook_id>", responses={204: None, **ERRORS}, summary="Delete an endpoint")
def delete_webhook(path: WebhookPath):
    """Nothing more is sent to it; its delivery log is kept."""
    organisation_id = managing_organisation()
    with unit_of_work(_runtime().sessions) as session:
        webhook = _own(session, path.webhook_id, organisation_id)
        webhook.deleted_at, webhook.enabled = utcnow(), False
    return "", 204


@bp.post("/<webhook_id>/rotate-secret", responses={200: WebhookWithSecret, **ERRORS},
         summary="Rotate the signing secret")
def rotate_secret(path: WebhookPath):
    """A new secret signs from now on; the previous one also signs (two signatures) until the overlap ends."""
    organisation_id = managing_organisation()
    runtime = _runtime()
    secret = signing_secrets.new_secret()
    with unit_of_work(runtime.sessions) as session:
        webhook = _own(session, path.webhook_id, organisation_id)
        overlap = timedelta(hours=runtime.settings.secret_overlap_hours)
        signing_secrets.rotate(runtime.extras["keyring"], webhook, secret, utcnow() + overlap)
        session.flush()
        return jsonify(_out(webhook, secret=secret))


@bp.post("/<webhook_id>/recover", responses={202: RecoverOut, **ERRORS},
         summary="Re-send what failed since a time")
def recover(path: WebhookPath, body: RecoverIn):
    """Re-queues the endpoint's failed deliveries created since `since`, with a fresh retry schedule.
    Recovering a disabled endpoint enables it again: recovery means the receiver has been fixed."""
    organisation_id = managing_organisation()
    with unit_of_work(_runtime().sessions) as session:
        webhook = _own(session, path.webhook_id, organisation_id)
        webhook.enabled, webhook.disabled_reason, webhook.first_failure_at = True, None, None
        now = utcnow()
        requeued = session.execute(
            sa.update(Delivery)
            .where(Delivery.webhook_id == webhook.id, Delivery.status.in_(FAILED_STATUSES),
                   Delivery.created_at >= body.since)
            .values(status="created", attempt_count=0, next_attempt_at=now, updated_at=now)).rowcount
        notify(session, WAKEUP_CHANNEL)
    response = jsonify(requeued=requeued)
    response.status_code = 202
    return response
