"""The signed-in person's own notification settings: email address, language, email frequency."""
from __future__ import annotations

from flask import current_app, jsonify
from flask_openapi3 import APIBlueprint, Tag

from shared.auth import current_principal, require_token
from shared.db import unit_of_work
from shared.web import BEARER

from notifications.api.schemas import ERRORS, NotificationSettingsIn, NotificationSettingsOut
from notifications.notices import preferences
from notifications.notices.reading import Reader

tag = Tag(name="notification settings", description="How the caller hears of notices (people only)")
bp = APIBlueprint("me", __name__, url_prefix="/v1/me", abp_tags=[tag], abp_security=BEARER)
require_token(bp)


def _runtime():
    return current_app.extensions["hub.runtime"]


@bp.get("/notification-settings", responses={200: NotificationSettingsOut, **ERRORS},
        summary="Read my notification settings")
def read_settings():
    """Defaults until saved: no email, Finnish, `immediately` (which needs an address to send anything)."""
    reader = Reader.of(current_principal())
    runtime = _runtime()
    with runtime.sessions() as session:
        return jsonify(preferences.read(session, runtime.extras["keyring"], reader.person_id))


@bp.put("/notification-settings", responses={200: NotificationSettingsOut, **ERRORS},
        summary="Replace my notification settings")
def save_settings(body: NotificationSettingsIn):
    """Only active counsellors and admins known to the hub get email; the address is stored encrypted."""
    reader = Reader.of(current_principal())
    runtime = _runtime()
    with unit_of_work(runtime.sessions) as session:
        saved = preferences.save(session, runtime.extras["keyring"], reader.person_id, **body.model_dump())
    return jsonify(saved)
