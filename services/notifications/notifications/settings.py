"""Configuration of the notifications service (`NOTIFICATIONS_*` plus the shared variables)."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
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

    # -- notices and email to people (docs/notices.md) -------------------------------------------
    # Where links in emails and on the notices page lead: the web forms' referral pages, and this
    # service's own pages (the notices list and the email settings) as people's browsers reach them.
    web_forms_url: str | None = Field(default=None, description="default: referrals_url")
    public_url: str = "http://127.0.0.1:8003"
    # SMTP. Without a host, each message is written to a Maildir under var_dir/mail (make run).
    smtp_host: str | None = None
    smtp_port: int | None = Field(default=None, description="default: 465 with ssl, 587 with starttls, else 25")
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = 10.0
    # Trust these CA certificates (PEM) for the server's TLS certificate instead of the system's: an internal CA.
    smtp_ca_file: Path | None = None
    email_from: str = "Ohjaamo-verkosto <noreply@hub.example>"
    # The daily digest leaves at this hour, Europe/Helsinki; the job looks every interval.
    digest_hour: int = Field(default=7, ge=0, le=23)
    digest_interval_seconds: float = 60.0
    # Notices and email rows older than this are deleted.
    notice_retention_days: float = 90.0
    retention_interval_seconds: float = 3600.0

    @property
    def referral_pages_url(self) -> str:
        return (self.web_forms_url or self.referrals_url).rstrip("/")

    @property
    def smtp_port_or_default(self) -> int:
        return self.smtp_port or {"ssl": 465, "starttls": 587}.get(self.smtp_security, 25)
