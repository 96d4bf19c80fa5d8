"""Standard Webhooks headers for one attempt: new timestamp, signatures over the exact bytes sent."""
from __future__ import annotations

import math
from datetime import datetime

from standardwebhooks import Webhook


def signed_headers(event_id: str, body: str, secrets: list[str], at: datetime) -> dict[str, str]:
    """`webhook-id` is the event id on every attempt; during a rotation both secrets sign."""
    signatures = " ".join(Webhook(secret).sign(event_id, at, body) for secret in secrets)
    return {
        "content-type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(math.floor(at.timestamp())),
        "webhook-signature": signatures,
    }
