"""The notifications HTTP API: webhook endpoints, the delivery log, people's notices and settings, and
the operator console's JSON."""
from __future__ import annotations

from notifications.api.deliveries import bp as deliveries_bp
from notifications.api.notices import bp as notices_bp
from notifications.api.ops import bp as ops_bp
from notifications.api.notification_settings import bp as settings_bp
from notifications.api.webhooks import bp as webhooks_bp


def register(app) -> None:
    app.register_api(webhooks_bp)
    app.register_api(deliveries_bp)
    app.register_api(ops_bp)
    app.register_api(notices_bp)
    app.register_api(settings_bp)
