"""A person's notification settings: email address (encrypted at rest), language, email frequency.

The address is the person's personal data: AES-GCM with the service's key ring (as webhook secrets),
the person's id as associated data, so a ciphertext copied to another person's row does not
decrypt. It is read only to send an email and to show the person their own settings.
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa

from shared.crypto import KeyRing
from shared.db import utcnow

from notifications.models import NotificationSettings

DEFAULTS = {"email": None, "language": "fi", "email_frequency": "immediately"}


def address_of(ring: KeyRing, row: NotificationSettings) -> str | None:
    if row.email_encrypted is None:
        return None
    return ring.decrypt(row.email_key_id, row.email_encrypted, row.person_id.bytes).decode()


def read(session, ring: KeyRing, person_id: uuid.UUID, default_language: str = DEFAULTS["language"]) -> dict:
    """The person's settings; until they save some, no address and `immediately` in `default_language`."""
    row = session.get(NotificationSettings, person_id)
    if row is None:
        return {**DEFAULTS, "language": default_language}
    return {"email": address_of(ring, row), "language": row.language, "email_frequency": row.email_frequency}


def save(session, ring: KeyRing, person_id: uuid.UUID, *, email: str | None, language: str,
         email_frequency: str) -> dict:
    """Replace the person's settings. Choosing the daily digest starts its window now, so the first
    digest does not repeat what was already emailed one by one."""
    now = utcnow()
    row = session.get(NotificationSettings, person_id, with_for_update=True)
    if row is None:
        row = NotificationSettings(person_id=person_id)
        session.add(row)
    if email_frequency == "daily" and row.email_frequency != "daily":
        row.digest_covered_until = now
    row.language, row.email_frequency, row.updated_at = language, email_frequency, now
    if email is None:
        row.email_key_id, row.email_encrypted = None, None
    else:
        row.email_key_id, row.email_encrypted = ring.encrypt(email.encode(), person_id.bytes)
    return {"email": email, "language": language, "email_frequency": email_frequency}


def reencrypt_all(session, ring: KeyRing) -> int:
    """Re-encrypt every stored address with the ring's current key (after adding a new key)."""
    count = 0
    for row in session.scalars(sa.select(NotificationSettings).where(
            NotificationSettings.email_encrypted.is_not(None), NotificationSettings.email_key_id != ring.current)):
        row.email_key_id, row.email_encrypted = ring.encrypt(address_of(ring, row).encode(), row.person_id.bytes)
        count += 1
    return count
