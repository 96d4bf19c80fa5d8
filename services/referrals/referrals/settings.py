"""The referrals service's configuration (env prefix `REFERRALS_`)."""
from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReferralsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REFERRALS_", extra="ignore", populate_by_name=True)

    service_name: ClassVar[str] = "referrals"
    default_port: ClassVar[int] = 8002

    #: `id:base64key,...` (first = current) for the client data; else a file under var_dir.
    data_keys: str | None = None
    #: The same for the blind index of identity codes.
    index_keys: str | None = None
    #: notifications, as the browser reaches it: the web forms link to a person's notices there and
    #: show their unread count.
    notifications_url: str = "http://127.0.0.1:8003"
    #: The receiver's deadline when its organisation has none set.
    default_response_days: int = 14
    idempotency_hours: int = 24
    #: The reminder comes this many Helsinki calendar days before the deadline (0: no reminders).
    reminder_days_before: int = Field(default=2, ge=0)
    #: Client data of a closed referral is purged this many days after it closed.
    retention_days: int = Field(default=90, ge=1)
    #: How often the worker looks for due reminders and expiries, and for purgeable referrals.
    deadline_interval_seconds: float = 30.0
    retention_interval_seconds: float = 3600.0
