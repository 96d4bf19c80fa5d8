"""How a referral looks to a caller, and the access log of every response carrying client data."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from referrals.domain.consent import client_data_visible
from referrals.domain.lifecycle import Party, allowed_actions
from referrals.models import AccessLogEntry, Referral
from referrals.protection import ClientDataVault


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _str(value) -> str | None:
    return str(value) if value is not None else None


def etag(referral: Referral) -> str:
    return f'"{referral.version}"'


def summary(referral: Referral) -> dict:
    """The list view: ids, organisations, statuses and dates; never client data."""
    return {
        "id": str(referral.id),
        "status": referral.status,
        "version": referral.version,
        "from_organisation_id": str(referral.from_organisation_id),
        "to_organisation_id": str(referral.to_organisation_id),
        "urgency": referral.urgency,
        "deadline_at": referral.deadline_at.isoformat(),
        "created_at": referral.created_at.isoformat(),
        "updated_at": referral.updated_at.isoformat(),
        "received_at": _iso(referral.received_at),
        "receiver_notified_at": _iso(referral.receiver_notified_at),
    }


def full(session: Session, vault: ClientDataVault, referral: Referral, party: Party | None, *,
         subject: str, organisation_id, endpoint: str, now: datetime) -> dict:
    """The referral as `party` may see it; showing client data writes an access-log row."""
    visible = referral.client_data_purged_at is None and client_data_visible(
        party, now, referral.consent_expires_at, referral.consent_withdrawn_at)
    body = {
        **summary(referral),
        "needs": list(referral.needs),
        "consent": {
            "method": referral.consent_method,
            "given_at": referral.consent_given_at.isoformat(),
            "expires_at": _iso(referral.consent_expires_at),
            "withdrawn_at": _iso(referral.consent_withdrawn_at),
            "withdrawn_by": referral.consent_withdrawn_by,
            "withdrawn_by_organisation_id": _str(referral.consent_withdrawn_by_organisation_id),
            "recorded_by": referral.consent_recorded_by,
        },
        "client_data_visible": visible,
        "client_data_purged_at": _iso(referral.client_data_purged_at),
        "client": None, "reason": None, "responsible_worker": None,
        "allowed_actions": [str(a) for a in allowed_actions(referral.status, party)] if party else [],
    }
    if visible:
        body.update(vault.open(referral.id, referral.data_key_id, referral.data_blob))
        log_access(session, referral, subject=subject, organisation_id=organisation_id, endpoint=endpoint, now=now)
    return body


def log_access(session: Session, referral: Referral, *, subject: str, organisation_id, endpoint: str,
               now: datetime) -> None:
    session.add(AccessLogEntry(referral_id=referral.id, subject=subject, organisation_id=organisation_id,
                               endpoint=endpoint, at=now))
