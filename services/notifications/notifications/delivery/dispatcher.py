"""The dispatcher: claims due deliveries, POSTs them signed, records every attempt, schedules retries.

State lives in the database, never in memory: a delivery is claimed by setting it `sending`, the
outcome is written with its attempt row, and one left `sending` by a crashed worker is attempted
again after its timeout plus a margin. Attempts run in a bounded thread pool, with a cap per
endpoint, so slow endpoints hold at most their own slots. The HTTP client is not instrumented and
runs with HTTP instrumentation suppressed: `traceparent` never leaves the hub.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from prometheus_client import Counter as CounterMetric
from opentelemetry.instrumentation.utils import suppress_http_instrumentation
from opentelemetry.trace import SpanKind, Status, StatusCode

from shared.contracts.events import NotificationDelivered, NotificationFailed, WebhookDisabled
from shared.db import unit_of_work, utcnow
from shared.messaging.wakeup import Wakeup
from shared.runtime import ServiceRuntime
from shared.telemetry import extract_context, metric, tracer

from notifications.delivery import schedule
from notifications.delivery.fanout import WAKEUP_CHANNEL
from notifications.delivery.signing import signed_headers
from notifications.models import Delivery, DeliveryAttempt, Webhook
from notifications.settings import NotificationsSettings
from notifications.signing_secrets import active_secrets
from notifications.url_guard import Resolver, UnresolvableHost, UnsafeUrl, check_url, pinned, resolve

log = logging.getLogger(__name__)
RETRYABLE = ("created", "temporary-failure")


@dataclass(frozen=True)
class Job:
    """A claimed delivery: everything an attempt needs, so no ORM object crosses threads."""

    delivery_id: uuid.UUID
    webhook_id: uuid.UUID
    organisation_id: uuid.UUID
    event_id: str
    event_type: str
    referral_id: uuid.UUID | None
    url: str
    secrets: tuple[str, ...]
    body: str
    trace_headers: dict
    refused: str | None = None  # the endpoint was disabled or deleted since the delivery was made


@dataclass(frozen=True)
class Outcome:
    at: datetime
    duration_ms: int
    status_code: int | None = None
    error: str | None = None
    retry_after: timedelta | None = None
    technical: bool = False

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Dispatcher:
    def __init__(self, runtime: ServiceRuntime, *, clock: Callable[[], datetime] = utcnow,
                 client: httpx.Client | None = None, resolver: Resolver = resolve):
        self.runtime, self.clock, self.resolver = runtime, clock, resolver
        self.settings: NotificationsSettings = runtime.settings
        self.concurrency = max(1, self.settings.delivery_concurrency)
        self.client = client or httpx.Client(
            timeout=self.settings.delivery_timeout_seconds, follow_redirects=False,
            limits=httpx.Limits(max_connections=self.concurrency * 2),
            headers={"user-agent": "youth-guidance-hub-webhooks/1.0"})
        self.pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="deliver")
        self.wakeup = Wakeup(runtime.engine, WAKEUP_CHANNEL, poll_interval=0.05)
        self._lock_rows = runtime.engine.dialect.name == "postgresql"

    def poke(self) -> None:
        self.wakeup.poke()

    # -- claiming -----------------------------------------------------------------------------
    def claim(self, limit: int, busy: Counter | None = None) -> list[Job]:
        """Mark up to `limit` due deliveries `sending` (at most the per-endpoint cap each) and return them."""
        busy = Counter(busy or {})
        cap = max(1, self.settings.delivery_per_webhook_concurrency)
        now = self.clock()
        stale = now - timedelta(seconds=self.settings.delivery_timeout_seconds
                                + self.settings.sending_stale_margin_seconds)
        due = sa.or_(sa.and_(Delivery.status.in_(RETRYABLE), Delivery.next_attempt_at <= now),
                     sa.and_(Delivery.status == "sending", Delivery.updated_at < stale))
        query = (sa.select(Delivery.id, Delivery.webhook_id).where(due)
                 .order_by(Delivery.next_attempt_at, Delivery.created_at).limit(limit * cap))
        if self._lock_rows:
            query = query.with_for_update(skip_locked=True)
        with unit_of_work(self.runtime.sessions) as session:
            chosen = []
            for delivery_id, webhook_id in session.execute(query):
                if len(chosen) < limit and busy[webhook_id] < cap:
                    busy[webhook_id] += 1
                    chosen.append(delivery_id)
            if not chosen:
                return []
            session.execute(sa.update(Delivery).where(Delivery.id.in_(chosen))
                            .values(status="sending", updated_at=now))
            rows = session.execute(sa.select(Delivery, Webhook).join(Webhook, Delivery.webhook_id == Webhook.id)
                                   .where(Delivery.id.in_(chosen))).all()
            return [self._job(delivery, webhook, now) for delivery, webhook in rows]

    def _job(self, delivery: Delivery, webhook: Webhook, now: datetime) -> Job:
        refused = ("the endpoint was deleted" if webhook.deleted_at is not None
                   else None if webhook.enabled else "the endpoint is disabled")
        secrets = () if refused else tuple(active_secrets(self.runtime.extras["keyring"], webhook, now))
        return Job(delivery.id, webhook.id, delivery.organisation_id, delivery.event_id, delivery.event_type,
                   delivery.referral_id, webhook.url, secrets, delivery.body, dict(delivery.trace_headers or {}),
                   refused)

    # -- one attempt --------------------------------------------------------------------------
    def attempt(self, job: Job) -> None:
        attributes = {"http.request.method": "POST", "hub.webhook.id": str(job.webhook_id),
                      "hub.delivery.id": str(job.delivery_id), "messaging.message.id": job.event_id,
                      "hub.event.type": job.event_type, **_server_attributes(job.url)}
        with tracer("notifications.delivery").start_as_current_span(
                "POST webhook", context=extract_context(job.trace_headers), kind=SpanKind.CLIENT,
                attributes=attributes) as span:
            if job.refused:
                self._refuse(job)
                return
            outcome = self._send(job)
            if outcome.status_code is not None:
                span.set_attribute("http.response.status_code", outcome.status_code)
            if not outcome.delivered:
                span.set_status(Status(StatusCode.ERROR, outcome.error or f"HTTP {outcome.status_code}"))
            status = self._record(job, outcome)
            if status is not None:
                _count_attempt(status)

    def _send(self, job: Job) -> Outcome:
        started, at = time.perf_counter(), self.clock()

        def elapsed() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            addresses = check_url(job.url, allow_private=self.settings.allow_private_urls, resolver=self.resolver)
        except UnresolvableHost as exc:
            return Outcome(at, elapsed(), error=str(exc))
        except UnsafeUrl as exc:
            return Outcome(at, elapsed(), error=f"refused: {exc}", technical=True)
        target, host_header, extensions = pinned(job.url, addresses)  # no second DNS lookup
        headers = signed_headers(job.event_id, job.body, list(job.secrets), at) | host_header
        try:
            with suppress_http_instrumentation(), self.client.stream(
                    "POST", target, content=job.body.encode(), headers=headers, extensions=extensions,
                    timeout=self.settings.delivery_timeout_seconds) as response:
                # The receiver's body is never read: it is not needed and could be huge.
                retry_after = schedule.parse_retry_after(response.headers.get("retry-after"), time.time())
                return Outcome(at, elapsed(), status_code=response.status_code, retry_after=retry_after)
        except httpx.TimeoutException:
            return Outcome(at, elapsed(), error="timeout")
        except httpx.HTTPError as exc:
            return Outcome(at, elapsed(), error=f"{type(exc).__name__}: {exc}"[:500])

    def _record(self, job: Job, outcome: Outcome) -> str | None:
        """Store the attempt and the delivery's next state, with its events, in one transaction.

        Returns the delivery's new status (None when another worker had taken it over)."""
        with unit_of_work(self.runtime.sessions) as session:
            delivery = session.get(Delivery, job.delivery_id, with_for_update=self._lock_rows)
            webhook = session.get(Webhook, job.webhook_id)
            if delivery is None or delivery.status != "sending":
                return None  # taken over (stale claim) or recovered meanwhile
            now = self.clock()
            session.add(DeliveryAttempt(delivery_id=delivery.id, at=outcome.at, status_code=outcome.status_code,
                                        duration_ms=outcome.duration_ms, error=outcome.error))
            delivery.attempt_count += 1
            delivery.updated_at = now
            if outcome.delivered:
                delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
                webhook.first_failure_at = None
                self.runtime.emit(session, NotificationDelivered(**self._outcome_fields(job, now)),
                                  subject=_subject(job))
                return delivery.status
            if outcome.status_code == 410:
                self._fail(session, job, delivery, "permanent-failure", now)
                self._disable(session, webhook, "The endpoint answered 410 Gone.", now)
                return delivery.status
            if outcome.technical:
                self._fail(session, job, delivery, "technical-failure", now)
                return delivery.status
            webhook.first_failure_at = webhook.first_failure_at or now
            delay = schedule.next_delay(delivery.attempt_count, outcome.retry_after)
            if delay is None:
                self._fail(session, job, delivery, "permanent-failure", now)
            else:
                delivery.status, delivery.next_attempt_at = "temporary-failure", now + delay
            if now - webhook.first_failure_at >= timedelta(days=self.settings.disable_after_failing_days):
                self._disable(session, webhook, f"The endpoint failed without a success for "
                                                f"{self.settings.disable_after_failing_days:g} days.", now)
            return delivery.status

    def _refuse(self, job: Job) -> None:
        with unit_of_work(self.runtime.sessions) as session:
            delivery = session.get(Delivery, job.delivery_id, with_for_update=self._lock_rows)
            if delivery is not None and delivery.status == "sending":
                now = self.clock()
                delivery.updated_at = now
                self._fail(session, job, delivery, "permanent-failure", now)

    def _fail(self, session, job: Job, delivery: Delivery, status: str, now: datetime) -> None:
        delivery.status, delivery.next_attempt_at = status, None
        self.runtime.emit(session, NotificationFailed(status=status, **self._outcome_fields(job, now)),
                          subject=_subject(job))

    def _disable(self, session, webhook: Webhook, reason: str, now: datetime) -> None:
        if not webhook.enabled:
            return
        webhook.enabled, webhook.disabled_reason = False, reason
        self.runtime.emit(session, WebhookDisabled(webhook_id=webhook.id, organisation_id=webhook.organisation_id,
                                                   reason=reason, at=now), subject=str(webhook.id))
        log.warning("webhook disabled: %s", reason, extra={"webhook_id": str(webhook.id)})

    @staticmethod
    def _outcome_fields(job: Job, now: datetime) -> dict:
        return {"notification_id": job.delivery_id, "channel": "webhook", "organisation_id": job.organisation_id,
                "event_id": uuid.UUID(job.event_id), "event_type": job.event_type, "referral_id": job.referral_id,
                "webhook_id": job.webhook_id, "at": now}

    def _attempt_safely(self, job: Job) -> None:
        try:
            self.attempt(job)
        except Exception:
            # Left `sending`: picked up again once stale, so nothing is lost.
            log.exception("delivery attempt failed unexpectedly", extra={"delivery_id": str(job.delivery_id)})

    # -- loops --------------------------------------------------------------------------------
    def deliver_due(self) -> int:
        """One synchronous pass: claim what is due (up to the pool size), attempt it all, return the count."""
        jobs = self.claim(self.concurrency)
        wait([self.pool.submit(self._attempt_safely, job) for job in jobs])
        return len(jobs)

    def run(self, stop: threading.Event) -> None:
        """The worker's `deliver` loop: keeps every free slot busy, woken by new deliveries or finished ones."""
        in_flight: dict[Future, uuid.UUID] = {}
        try:
            while not stop.is_set():
                for future in [f for f in in_flight if f.done()]:
                    del in_flight[future]
                free = self.concurrency - len(in_flight)
                try:
                    jobs = self.claim(free, Counter(in_flight.values())) if free > 0 else []
                except Exception:
                    log.warning("claiming deliveries failed; will retry", exc_info=True)
                    stop.wait(1.0)
                    continue
                for job in jobs:
                    future = self.pool.submit(self._attempt_safely, job)
                    future.add_done_callback(lambda _f: self.wakeup.poke())
                    in_flight[future] = job.webhook_id
                if not jobs:
                    self.wakeup.wait()
        finally:
            self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.client.close()
        self.wakeup.close()


def _count_attempt(status: str) -> None:
    """Attempts by the status they left the delivery in (`temporary-failure`: a retry is scheduled)."""
    metric(CounterMetric, "hub_webhook_attempts_total", "Webhook delivery attempts by resulting status",
           ("status",)).labels(status).inc()


def _subject(job: Job) -> str:
    return str(job.referral_id or job.webhook_id)


def _server_attributes(url: str) -> dict:
    """Host and port only: a URL's path and query may carry the receiver's own tokens."""
    try:
        parts = urlsplit(url)
        return {"server.address": parts.hostname or "", "server.port": parts.port or
                (443 if parts.scheme == "https" else 80)}
    except ValueError:
        return {}
