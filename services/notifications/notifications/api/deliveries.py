"""The delivery log: every delivery of the caller's organisation with every attempt."""
from __future__ import annotations

import uuid
from collections import defaultdict

import sqlalchemy as sa
from flask import current_app, jsonify
from flask_openapi3 import APIBlueprint, Tag

from shared.auth import require_token
from shared.paging import as_datetime, keyset_page
from shared.web import BEARER

from notifications.api.access import reading_organisation
from notifications.api.schemas import ERRORS, AttemptOut, DeliveryOut, DeliveryPage, DeliveryQuery
from notifications.models import Delivery, DeliveryAttempt

tag = Tag(name="deliveries", description="The webhook delivery log (GOV.UK Notify's statuses)")
bp = APIBlueprint("deliveries", __name__, url_prefix="/v1/deliveries", abp_tags=[tag], abp_security=BEARER)
require_token(bp)

DELIVERY_FIELDS = [name for name in DeliveryOut.model_fields if name != "attempts"]


@bp.get("", responses={200: DeliveryPage, **ERRORS}, summary="List deliveries")
def list_deliveries(query: DeliveryQuery):
    """Newest first; both filters optional. Operators see every organisation's deliveries."""
    organisation_id = reading_organisation()
    statement = sa.select(Delivery)
    if organisation_id is not None:
        statement = statement.where(Delivery.organisation_id == organisation_id)
    if query.webhook_id is not None:
        statement = statement.where(Delivery.webhook_id == query.webhook_id)
    if query.status is not None:
        statement = statement.where(Delivery.status == query.status)
    with current_app.extensions["hub.runtime"].sessions() as session:
        page = keyset_page(session, statement, [Delivery.created_at, Delivery.id], [as_datetime, uuid.UUID], query,
                           descending=True)
        rows = page["items"]
        attempts = defaultdict(list)
        if rows:
            for attempt in session.execute(sa.select(DeliveryAttempt)
                                           .where(DeliveryAttempt.delivery_id.in_([r.id for r in rows]))
                                           .order_by(DeliveryAttempt.id)).scalars():
                attempts[attempt.delivery_id].append(
                    AttemptOut.model_validate(attempt, from_attributes=True).model_dump(mode="json"))
        items = [DeliveryOut.model_validate({**{name: getattr(row, name) for name in DELIVERY_FIELDS},
                                             "attempts": attempts[row.id]}).model_dump(mode="json")
                 for row in rows]
    return jsonify(items=items, next_cursor=page["next_cursor"])
