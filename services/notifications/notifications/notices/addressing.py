"""Who is told of what: the organisation a notice goes to, for each event type that makes one.

Pure: an event in, `(organisation, audience, code)` out. The referral's two parties come from
the event itself, so no read model is needed; `referral.received`, `referral.started` and
`referral.consent_withdrawn` make no notice (the party that caused them already knows, and the
other learns what matters from the next change).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared.contracts.envelope import Event

RECEIVER, SENDER = "receiver", "sender"
#: event type -> which party of the referral is told.
REFERRAL_KINDS: dict[str, str] = {
    "referral.sent": RECEIVER,
    "referral.accepted": SENDER,
    "referral.declined": SENDER,
    "referral.completed": SENDER,
    "referral.expired": SENDER,
    "referral.withdrawn": RECEIVER,
    "referral.reminder": RECEIVER,
    "referral.commented": "the other party",
}
WEBHOOK_DISABLED = "webhook.disabled"
KINDS = (*REFERRAL_KINDS, WEBHOOK_DISABLED)


@dataclass(frozen=True)
class Addressee:
    organisation_id: uuid.UUID
    audience: str  # "everyone" or "org_admin"
    code: str | None = None  # a decline/withdraw reason or an outcome, as coded in the event


def addressee(event: Event) -> Addressee | None:
    """The organisation `event` makes a notice for, or None."""
    data = event.data
    if event.type == WEBHOOK_DISABLED:
        # Only the organisation's admins manage its endpoints; counsellors could do nothing about it.
        return Addressee(data.organisation_id, "org_admin")
    party = REFERRAL_KINDS.get(event.type)
    if party is None:
        return None
    if party == RECEIVER:
        told = data.to_organisation_id
    elif party == SENDER:
        told = data.from_organisation_id
    else:  # a comment: the party that did not write it
        told = (data.to_organisation_id if data.author_organisation_id == data.from_organisation_id
                else data.from_organisation_id)
    code = getattr(data, "reason", None) or getattr(data, "outcome", None)
    return Addressee(told, "everyone", code)
