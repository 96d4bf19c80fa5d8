"""Consent decides whether the receiver may see the client's data.

The sender entered the data and always sees it; the receiver sees it only while the client's
consent stands (not withdrawn, not past its expiry). Operators never see it.
"""
from __future__ import annotations

from datetime import datetime

from referrals.domain.lifecycle import Party


def consent_valid(now: datetime, expires_at: datetime | None, withdrawn_at: datetime | None) -> bool:
    if withdrawn_at is not None and withdrawn_at <= now:
        return False
    return expires_at is None or now < expires_at


def client_data_visible(party: Party | None, now: datetime, expires_at: datetime | None,
                        withdrawn_at: datetime | None) -> bool:
    if party == Party.SENDER:
        return True
    if party == Party.RECEIVER:
        return consent_valid(now, expires_at, withdrawn_at)
    return False
