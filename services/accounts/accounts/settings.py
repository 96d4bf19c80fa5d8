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
    # A rotated-in key signs only after this long in the JWKS (longer than keys.CACHE_SECONDS).
    key_activation_seconds: int = Field(default=60, ge=0, le=86_400)
    # A PEM private key to sign with instead of keys generated into the database.
    signing_key_file: Path | None = None
    # AES keys (`id:base64,...`, first = current) encrypting the signing keys at rest;
    # without it a key file is created under var_dir (embedded mode).
    key_encryption_keys: SecretStr | None = None
    bootstrap_client_id: str | None = None
    bootstrap_client_secret: SecretStr | None = None
    # Rate limits of /oauth/token (docs/accounts.md): requests per minute per client id and per
    # remote address, and the lockout of a client id after repeated wrong secrets.
    token_rate_per_client: int = Field(default=20, ge=1)
    token_rate_per_address: int = Field(default=120, ge=1)
    client_lockout_failures: int = Field(default=10, ge=1)
    client_lockout_seconds: int = Field(default=900, ge=60)
    # Sign-in attempts per minute per remote address (the per-person lockout is separate).
    login_rate_per_address: int = Field(default=30, ge=1)
    # Reverse proxies in front of accounts whose X-Forwarded-For is trusted (0: use the peer address).
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)
    # People's sign-in for the web forms: public OAuth2 clients (authorization code + PKCE),
    # `client_id=redirect_uri,client_id=redirect_uri`.
    web_clients: str = ("referrals-web=http://127.0.0.1:8002/auth/callback,"
                        "notifications-web=http://127.0.0.1:8003/auth/callback")
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_max_hours: int = Field(default=8, ge=1, le=24)
    code_lifetime_seconds: int = Field(default=60, ge=10, le=600)
    # `python -m accounts migrate` loads the Keski-Uusimaa demo network (`make run` sets it).
    demo_data: bool = Field(default=False, validation_alias="HUB_DEMO_DATA")

    @property
    def web_client_redirects(self) -> dict[str, str]:
        """The registered web clients: client_id -> its one redirect URI (matched exactly)."""
        pairs = (item.strip().partition("=") for item in self.web_clients.split(",") if item.strip())
        return {client_id.strip(): uri.strip() for client_id, _, uri in pairs if client_id.strip() and uri.strip()}

    @property
    def key_file(self) -> Path:
        return self.var_dir / "accounts-keys.txt"
