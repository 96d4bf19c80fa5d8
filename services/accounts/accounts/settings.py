"""accounts' configuration: the shared variables plus `ACCOUNTS_*`."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AccountsSettings(ServiceSettings):
    service_name = "accounts"
    default_port = 8001
    model_config = SettingsConfigDict(env_prefix="ACCOUNTS_", extra="ignore", populate_by_name=True)

    token_lifetime_seconds: int = Field(default=600, ge=30, le=86_400)
    # A PEM private key to sign with instead of keys generated into the database.
    signing_key_file: Path | None = None
    # AES keys (`id:base64,...`, first = current) encrypting the signing keys at rest;
    # without it a key file is created under var_dir (embedded mode).
    key_encryption_keys: SecretStr | None = None
    bootstrap_client_id: str | None = None
    bootstrap_client_secret: SecretStr | None = None

    @property
    def key_file(self) -> Path:
        return self.var_dir / "accounts-keys.txt"
