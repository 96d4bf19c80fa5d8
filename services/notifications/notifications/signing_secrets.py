"""Webhook signing secrets: generated in Standard Webhooks' format, encrypted at rest.

The key ring (`NOTIFICATIONS_SECRET_KEYS`, else `var_dir/notifications-secret-keys.txt`) encrypts
each secret with AES-GCM, the webhook's id as associated data, so a ciphertext copied onto another
row does not decrypt.
"""
from __future__ import annotations

import base64
import secrets
from datetime import datetime

from shared.crypto import KeyRing

from notifications.models import Webhook
from notifications.settings import NotificationsSettings

PREFIX = "whsec_"


def key_ring(settings: NotificationsSettings) -> KeyRing:
    path = settings.var_dir / "notifications-secret-keys.txt"
    try:
        return KeyRing.from_env_or_file(settings.secret_keys, path)
    except FileExistsError:  # the web and worker processes starting together: the other one wrote it
        return KeyRing.from_env_or_file(settings.secret_keys, path)


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes, as standardwebhooks' `Webhook(secret)` reads it."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def set_secret(ring: KeyRing, webhook: Webhook, secret: str) -> None:
    webhook.secret_key_id, webhook.secret_encrypted = ring.encrypt(secret.encode(), webhook.id.bytes)


def rotate(ring: KeyRing, webhook: Webhook, secret: str, previous_expires_at: datetime) -> None:
    """The current secret becomes the previous one (still signing until it expires)."""
    webhook.previous_secret_key_id = webhook.secret_key_id
    webhook.previous_secret_encrypted = webhook.secret_encrypted
    webhook.previous_secret_expires_at = previous_expires_at
    set_secret(ring, webhook, secret)


def active_secrets(ring: KeyRing, webhook: Webhook, now: datetime) -> list[str]:
    """The secrets to sign with now: the current one and, during the overlap window, the previous."""
    found = [ring.decrypt(webhook.secret_key_id, webhook.secret_encrypted, webhook.id.bytes).decode()]
    if (webhook.previous_secret_encrypted is not None and webhook.previous_secret_expires_at is not None
            and now < webhook.previous_secret_expires_at):
        found.append(ring.decrypt(webhook.previous_secret_key_id, webhook.previous_secret_encrypted,
                                  webhook.id.bytes).decode())
    return found


def reencrypt_all(session, ring: KeyRing) -> int:
    """Re-encrypt every stored secret with the ring's current key (after adding a new key)."""
    count = 0
    for webhook in session.query(Webhook).filter(Webhook.secret_key_id != ring.current):
        set_secret(ring, webhook, ring.decrypt(webhook.secret_key_id, webhook.secret_encrypted,
                                               webhook.id.bytes).decode())
        count += 1
    for webhook in session.query(Webhook).filter(Webhook.previous_secret_key_id.is_not(None),
                                                 Webhook.previous_secret_key_id != ring.current):
        plain = ring.decrypt(webhook.previous_secret_key_id, webhook.previous_secret_encrypted, webhook.id.bytes)
        webhook.previous_secret_key_id, webhook.previous_secret_encrypted = ring.encrypt(plain, webhook.id.bytes)
        count += 1
    return count
