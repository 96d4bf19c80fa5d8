"""The email loop: claims due emails, renders each in its person's language, hands it to SMTP (or the
Maildir), records the attempt and schedules a retry, as the webhook dispatcher does for deliveries.

State lives in the `emails` table: a claimed email is `sending`; one left `sending` by a crashed
worker is claimed again once stale. Whether the person may still get it is checked again at
sending (deactivated, moved to another organisation, changed their mind or their address): if not,
it ends `permanent-failure` without a message. Retries follow the webhooks' published schedule
(`delivery/schedule.py`). `notification.delivered` / `notification.failed` (`channel: "email"`)
carry ids only: never the address.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter as CounterMetric

from shared.contracts.events import NotificationDelivered, NotificationFailed
from shared.db import unit_of_work, utcnow
from shared.messaging.wakeup import Wakeup
from shared.runtime import ServiceRuntime
from shared.telemetry import extract_context, metric, tracer

from notifications.delivery import schedule
from notifications.email import WAKEUP_CHANNEL
from notifications.email.compose import Composer, NoticeFacts, as_email
from notifications.email.transport import SendFailure, Transport, transport_for
from notifications.models import Email, EmailAttempt, Notice, NotificationSettings, Person
from notifications.notices.people import AUDIENCE_ROLES, may_be_emailed
from notifications.notices.preferences import address_of

log = logging.getLogger(__name__)
RETRYABLE = ("created", "temporary-failure")
#: An SMTP exchange is several round trips (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA), each
#: allowed the timeout: a claim older than this many timeouts (plus the margin) is a crashed worker's.
ROUND_TRIPS = 10
DIGEST = "digest"


@dataclass(frozen=True)
class Prepared:
    """A claimed email ready to go (or refused), so no ORM object or session crosses into sending."""

    email_id: uuid.UUID
    organisation_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    referral_id: uuid.UUID | None
    trace_headers: dict
    message: EmailMessage | None = None
    refused: str | None = None
    technical: bool = False


@dataclass(frozen=True)
class Outcome:
    at: datetime
    duration_ms: int
    delivered: bool = False
    smtp_code: int | None = None
    error: str | None = None
    final: str | None = None  # "permanent-failure" / "technical-failure": not retried


class EmailSender:
    def __init__(self, runtime: ServiceRuntime, *, clock: Callable[[], datetime] = utcnow,
                 transport: Transport | None = None):
        self.runtime, self.clock, self.settings = runtime, clock, runtime.settings
        self.transport = transport or transport_for(self.settings)
        self.composer = Composer(self.settings)
        self.keyring = runtime.extras["keyring"]
        self.wakeup = Wakeup(runtime.engine, WAKEUP_CHANNEL, poll_interval=0.25)
        self._lock_rows = runtime.engine.dialect.name == "postgresql"

    def poke(self) -> None:
        self.wakeup.poke()

    # -- claiming -----------------------------------------------------------------------------
    def claim(self, limit: int) -> list[uuid.UUID]:
        now = self.clock()
        stale = now - timedelta(seconds=ROUND_TRIPS * self.settings.smtp_timeout_seconds
                                + self.settings.sending_stale_margin_seconds)
        due = sa.or_(sa.and_(Email.status.in_(RETRYABLE), Email.next_attempt_at <= now),
                     sa.and_(Email.status == "sending", Email.updated_at < stale))
        query = sa.select(Email.id).where(due).order_by(Email.next_attempt_at, Email.created_at).limit(limit)
        if self._lock_rows:
            query = query.with_for_update(skip_locked=True)
        with unit_of_work(self.runtime.sessions) as session:
            chosen = list(session.execute(query).scalars())
            if chosen:
                session.execute(sa.update(Email).where(Email.id.in_(chosen)).values(status="sending", updated_at=now))
        return chosen

    # -- preparing: who, in which language, saying what -----------------------------------------
    def prepare(self, email_id: uuid.UUID) -> Prepared | None:
        with self.runtime.sessions() as session:
            email = session.get(Email, email_id)
            if email is None or email.status != "sending":
                return None
            notice = session.get(Notice, email.notice_id) if email.notice_id else None
            base = {"email_id": email.id, "organisation_id": email.organisation_id,
                    "event_id": uuid.UUID(notice.event_id) if notice else email.id,
                    "event_type": notice.kind if notice else DIGEST,
                    "referral_id": notice.referral_id if notice else None,
                    "trace_headers": dict(email.trace_headers or {})}
            prefs = session.get(NotificationSettings, email.person_id)
            refused = self._refusal(session, email, notice, prefs)
            if refused:
                return Prepared(**base, refused=refused)
            try:
                if notice is not None:
                    rendered = self.composer.notice(NoticeFacts(notice.kind, notice.referral_id, notice.code),
                                                    prefs.language)
                else:
                    facts = self._digest_notices(session, email)
                    if not facts:
                        return Prepared(**base, refused="not sent: its notices have been deleted")
                    rendered = self.composer.digest(facts, prefs.language)
                message = as_email(rendered, sender=self.settings.email_from, recipient=address_of(self.keyring, prefs),
                                   lang=prefs.language, email_id=email.id, now=self.clock())
            except Exception as exc:  # a template or key problem: ours, not the recipient's
                # Without the traceback: an exception about a message may quote its address.
                log.error("email could not be composed: %s", type(exc).__name__, extra={"email_id": str(email.id)})
                return Prepared(**base, refused=f"not composed: {type(exc).__name__}", technical=True)
            return Prepared(**base, message=message)

    @staticmethod
    def _refusal(session, email: Email, notice: Notice | None, prefs: NotificationSettings | None) -> str | None:
        if prefs is None or prefs.email_encrypted is None:
            return "not sent: the person has no email address"
        wanted = "immediately" if notice is not None else "daily"
        if prefs.email_frequency != wanted:
            return "not sent: the person no longer wants this email"
        if not may_be_emailed(session, email.person_id, email.organisation_id,
                              notice.audience if notice is not None else "everyone"):
            return "not sent: the person is no longer an active member of the organisation"
        return None

    @staticmethod
    def _digest_notices(session, email: Email) -> list[NoticeFacts]:
        """The organisation's notices of the digest's window that the person's role is told of."""
        role = session.get(Person, email.person_id).role
        audiences = [audience for audience, roles in AUDIENCE_ROLES.items() if role in roles]
        rows = session.execute(
            sa.select(Notice.kind, Notice.referral_id, Notice.code)
            .where(Notice.organisation_id == email.organisation_id, Notice.audience.in_(audiences),
                   Notice.created_at > email.covers_from, Notice.created_at <= email.covers_until)
            .order_by(Notice.created_at, Notice.id)).all()
        return [NoticeFacts(*row) for row in rows]

    # -- one attempt --------------------------------------------------------------------------
    def attempt(self, prepared: Prepared) -> str | None:
        """Send (unless refused) and record; returns the email's new status."""
        with tracer("notifications.email").start_as_current_span(
                "send email", context=extract_context(prepared.trace_headers), kind=SpanKind.CLIENT,
                attributes={"hub.email.id": str(prepared.email_id), "hub.event.type": prepared.event_type,
                            "messaging.message.id": str(prepared.event_id)}) as span:
            outcome = self._send(prepared)
            if outcome.smtp_code is not None:
                span.set_attribute("smtp.response.code", outcome.smtp_code)
            if not outcome.delivered:
                span.set_status(Status(StatusCode.ERROR, outcome.error or "not delivered"))
            status = self._record(prepared, outcome)
            if status is not None:
                metric(CounterMetric, "hub_email_attempts_total", "Email attempts by resulting status",
                       ("status",)).labels(status).inc()
            return status

    def _send(self, prepared: Prepared) -> Outcome:
        at, started = self.clock(), time.perf_counter()
        if prepared.refused:
            return Outcome(at, 0, error=prepared.refused,
                           final="technical-failure" if prepared.technical else "permanent-failure")
        try:
            self.transport.send(prepared.message)
        except SendFailure as failure:
            return Outcome(at, _ms_since(started), smtp_code=failure.smtp_code, error=failure.error,
                           final="permanent-failure" if failure.permanent else None)
        return Outcome(at, _ms_since(started), delivered=True, smtp_code=250)

    def _record(self, prepared: Prepared, outcome: Outcome) -> str | None:
        with unit_of_work(self.runtime.sessions) as session:
            email = session.get(Email, prepared.email_id, with_for_update=self._lock_rows)
            if email is None or email.status != "sending":
                return None  # taken over as stale meanwhile
            now = self.clock()
            session.add(EmailAttempt(email_id=email.id, at=outcome.at, smtp_code=outcome.smtp_code,
                                     duration_ms=outcome.duration_ms, error=outcome.error))
            email.attempt_count += 1
            email.updated_at = now
            if outcome.delivered:
                email.status, email.delivered_at, email.next_attempt_at = "delivered", now, None
                self.runtime.emit(session, NotificationDelivered(**_outcome_fields(prepared, now)),
                                  subject=_subject(prepared))
                return email.status
            delay = None if outcome.final else schedule.next_delay(email.attempt_count)
            if delay is None:
                email.status, email.next_attempt_at = outcome.final or "permanent-failure", None
                self.runtime.emit(session, NotificationFailed(status=email.status, **_outcome_fields(prepared, now)),
                                  subject=_subject(prepared))
                log.warning("email not delivered: %s", outcome.error,
                            extra={"email_id": str(email.id), "status": email.status})
            else:
                email.status, email.next_attempt_at = "temporary-failure", now + delay
            return email.status

    def _attempt_safely(self, email_id: uuid.UUID) -> None:
        try:
            prepared = self.prepare(email_id)
            if prepared is not None:
                self.attempt(prepared)
        except Exception:
            # Left `sending`: claimed again once stale, so nothing is lost.
            log.exception("email attempt failed unexpectedly", extra={"email_id": str(email_id)})

    # -- loops --------------------------------------------------------------------------------
    def send_due(self, limit: int = 10) -> int:
        """One pass: claim up to `limit` due emails and attempt each; returns how many were claimed."""
        claimed = self.claim(limit)
        for email_id in claimed:
            self._attempt_safely(email_id)
        return len(claimed)

    def run(self, stop: threading.Event) -> None:
        """The worker's `email` loop, woken by newly queued email (NOTIFY, or a poke in-process)."""
        try:
            while not stop.is_set():
                try:
                    sent = self.send_due()
                except Exception:
                    log.warning("claiming emails failed; will retry", exc_info=True)
                    stop.wait(1.0)
                    continue
                if not sent:
                    self.wakeup.wait()
        finally:
            self.wakeup.close()


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _outcome_fields(prepared: Prepared, now: datetime) -> dict:
    return {"notification_id": prepared.email_id, "channel": "email", "organisation_id": prepared.organisation_id,
            "event_id": prepared.event_id, "event_type": prepared.event_type, "referral_id": prepared.referral_id,
            "at": now}


def _subject(prepared: Prepared) -> str:
    return str(prepared.referral_id or prepared.email_id)
