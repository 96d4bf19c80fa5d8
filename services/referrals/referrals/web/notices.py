"""The link to a person's notices, which notifications keeps, with their unread count.

The count is asked of notifications with the signed-in person's own token, so it is exactly what
that person may see. It is a courtesy: when notifications is slow or down the link is shown
without a count and the page is not held up (a short timeout), and it is asked once per page.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from flask import current_app, g

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class NoticesLink:
    url: str
    unread: int | None  # None: not known right now


def notices_link(token: str) -> NoticesLink:
    if "hub_notices_link" not in g:
        base = current_app.extensions["hub.runtime"].settings.notifications_url.rstrip("/")
        g.hub_notices_link = NoticesLink(f"{base}/notices/", _unread(base, token))
    return g.hub_notices_link


def _unread(base: str, token: str) -> int | None:
    try:
        response = httpx.get(f"{base}/v1/notices/unread-count", headers={"Authorization": f"Bearer {token}"},
                             timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        unread = response.json()["unread"]
        return unread if isinstance(unread, int) and unread >= 0 else None
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        log.info("unread notices unknown: %s", type(exc).__name__)
        return None
