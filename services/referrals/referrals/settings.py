"""The referrals service's configuration (env prefix `REFERRALS_`)."""
from __future__ import annotations

from typing import ClassVar

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
    #: The receiver's deadline when its organisation has none set.
    default_response_days: int = 14
    idempotency_hours: int = 24
    expiry_interval_seconds: float = 30.0
