"""accounts consumes no events (it only produces them), so its inbox has no handlers."""
from __future__ import annotations

from shared.messaging.inbox import Handler

HANDLERS: dict[str, Handler] = {}
