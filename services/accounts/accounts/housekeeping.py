"""Deleting what has expired: rate-limit windows, authorization codes, ended sessions and used or
expired invitations. Run by the worker every few minutes (`purge_loop`); nothing depends on it
for correctness, since every reader checks expiry itself."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db import unit_of_work, utcnow
from shared.runtime import ServiceRuntime

from accounts import ratelimit
from accounts.models import AuthorizationCode, Invitation, WebSession

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 300
# Kept a while after they end, for an operator looking into a sign-in problem.
KEEP = timedelta(days=7)


def purge(session: Session) -> dict[str, int]:
    cutoff, now = utcnow() - KEEP, utcnow()
    return {
        "rate_limit_windows": ratelimit.purge(session),
        "authorization_codes": session.execute(sa.delete(AuthorizationCode)
                                               .where(AuthorizationCode.expires_at < now - timedelta(hours=1))).rowcount,
        "web_sessions": session.execute(sa.delete(WebSession).where(
            sa.or_(WebSession.expires_at < cutoff, WebSession.ended_at < cutoff))).rowcount,
        "invitations": session.execute(sa.delete(Invitation).where(
            sa.or_(Invitation.expires_at < cutoff, Invitation.used_at < cutoff))).rowcount,
    }


def purge_loop(runtime: ServiceRuntime, interval: float = INTERVAL_SECONDS):
    def loop(stop: threading.Event) -> None:
        while not stop.wait(interval):
            try:
                with unit_of_work(runtime.sessions) as session:
                    removed = purge(session)
                if any(removed.values()):
                    log.info("purged expired rows: %s", removed)
            except sa.exc.DBAPIError:
                log.exception("purge failed; trying again in %s s", interval)
    return loop
