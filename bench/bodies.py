"""Request bodies for the load: valid referrals with distinct (temporary) identity codes."""
from __future__ import annotations

import json
import random
from datetime import date, timedelta

_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def identity_code(i: int, seed: int = 0) -> tuple[str, str]:
    """A valid Finnish temporary identity code (individual number 900-999) and its birth date."""
    rng = random.Random(i * 7919 + seed)
    born = date(1997, 1, 1) + timedelta(days=rng.randrange(0, 365 * 12))
    individual = 900 + rng.randrange(100)
    digits = born.strftime("%d%m%y")
    sign = "-" if born.year < 2000 else "A"
    check = _CHECK[int(f"{digits}{individual:03d}") % 31]
    return f"{digits}{sign}{individual:03d}{check}", born.isoformat()


def referral(to_organisation_id: str, i: int, seed: int = 0) -> dict:
    code, born = identity_code(i, seed)
    return {
        "to_organisation_id": to_organisation_id,
        "client": {"first_name": "Bench", "last_name": f"Testinen{i}", "birth_date": born,
                   "personal_identity_code": code, "phone": "+358401234567",
                   "email": f"bench{i}@example.fi", "language": "fi"},
        "consent": {"given": True, "method": "written", "given_at": "2026-01-20T10:00:00Z", "expires_at": None},
        "needs": ["employment", "housing"], "reason": "Kuormitustesti", "urgency": "normal",
    }


def referral_bytes(to_organisation_id: str, i: int, seed: int = 0) -> bytes:
    return json.dumps(referral(to_organisation_id, i, seed)).encode()
