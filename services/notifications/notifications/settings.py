"""Configuration of the notifications service (`NOTIFICATIONS_*` plus the shared variables)."""
from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore", populate_by_name=True)

    service_name = "notifications"
    default_port = 8003

    # Loopback/private webhook URLs are refused unless an operator allows them (make run, tests).
    allow_private_urls: bool = False
    # `id:base64key,...` (first = current) encrypting webhook secrets; else a file under var_dir.
    secret_keys: str | None = None
    # How long the previous secret keeps signing after a rotation.
    secret_overlap_hours: float = 24.0
    # One attempt may take this long before it counts as a network failure.
    delivery_timeout_seconds: float = 10.0
    # Attempts in flight at once, and at most this many for one endpoint, so slow ones cannot starve the rest.
    delivery_concurrency: int = 8
    delivery_per_webhook_concurrency: int = 4
    # A delivery left in `sending` this long past its timeout (a crashed worker) is attempted again.
    sending_stale_margin_seconds: float = 30.0
    # An endpoint failing without a single success for this long is disabled.
    disable_after_failing_days: float = 5.0
    # The operator console: where the other services answer, and the tracing UI a trace id is appended to.
    referrals_url: str = "http://127.0.0.1:8002"
    tracing_ui_url: str = "http://127.0.0.1:16686/trace/"
