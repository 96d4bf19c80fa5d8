"""Configuration read from the environment with pydantic-settings.

Every service reads the shared variables (`BROKER_URL`, `HUB_AUDIENCE`, ...) and its own
prefixed ones (`REFERRALS_DATABASE_URL`, `REFERRALS_PORT`, ...). Defaults are the embedded mode:
SQLite files and kombu's SQLAlchemy transport under `HUB_VAR_DIR`, so no server is needed.
"""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings common to every service; subclasses set `service_name` and `env_prefix`."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: ClassVar[str] = ""
    default_port: ClassVar[int] = 0

    port: int = 0
    database_url: str = ""
    var_dir: Path = Field(default=Path("var"), validation_alias="HUB_VAR_DIR")
    broker_url: str = Field(default="", validation_alias="BROKER_URL")
    audience: str = Field(default="hub", validation_alias="HUB_AUDIENCE")
    accounts_url: str = Field(default="http://127.0.0.1:8001", validation_alias="ACCOUNTS_URL")
    issuer: str = Field(default="", validation_alias="HUB_ISSUER")
    otlp_endpoint: str | None = Field(default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    trace_file: Path | None = Field(default=None, validation_alias="HUB_TRACE_FILE")
    log_level: str = Field(default="INFO", validation_alias="HUB_LOG_LEVEL")
    # Inbox retries: a failing handler is retried with exponential back-off, then dead-lettered.
    inbox_max_attempts: int = Field(default=8, validation_alias="HUB_INBOX_MAX_ATTEMPTS")
    inbox_backoff_base_seconds: float = Field(default=1.0, validation_alias="HUB_INBOX_BACKOFF_SECONDS")
    # Embedded broker: an unacked message becomes visible again after this many seconds.
    broker_visibility_timeout: float = Field(default=30.0, validation_alias="HUB_BROKER_VISIBILITY_TIMEOUT")
    confirm_timeout: float = Field(default=10.0, validation_alias="HUB_CONFIRM_TIMEOUT")

    @model_validator(mode="after")
    def _embedded_defaults(self) -> "ServiceSettings":
        self.var_dir = self.var_dir.resolve()
        if not self.port:
            self.port = self.default_port
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / (self.service_name + '.sqlite')}"
        if not self.broker_url:
            self.broker_url = f"sqla+sqlite:///{self.var_dir / 'broker.sqlite'}"
        if not self.issuer:
            self.issuer = self.accounts_url
        return self

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url.startswith("sqla+")
