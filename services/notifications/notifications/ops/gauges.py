"""Scrape-time gauges of notifications: deliveries and emails by status, endpoints by state.

Read from the database at each scrape (added to `app.extensions["hub.metrics.collectors"]`), so
they are right whichever worker made the change; attempts by outcome are counted by the dispatcher
and the email sender.
"""
from __future__ import annotations

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily

from notifications.models import DELIVERY_STATUSES, Delivery, Email, Webhook


def delivery_gauges(runtime) -> list:
    with runtime.sessions() as session:
        by_status = dict(session.execute(sa.select(Delivery.status, sa.func.count()).group_by(Delivery.status)).all())
        enabled, disabled, failing = session.execute(sa.select(
            sa.func.count().filter(Webhook.enabled.is_(True)),
            sa.func.count().filter(Webhook.enabled.is_(False)),
            sa.func.count().filter(Webhook.enabled.is_(True), Webhook.first_failure_at.is_not(None)),
        ).where(Webhook.deleted_at.is_(None))).one()
    deliveries = GaugeMetricFamily("hub_webhook_deliveries", "Webhook deliveries by status", labels=["status"])
    for status in DELIVERY_STATUSES:
        deliveries.add_metric([status], by_status.get(status, 0))
    endpoints = GaugeMetricFamily("hub_webhook_endpoints", "Webhook endpoints by state (failing: enabled, "
                                  "no success since its first failure)", labels=["state"])
    for state, count in (("enabled", enabled), ("disabled", disabled), ("failing", failing)):
        endpoints.add_metric([state], count)
    return [deliveries, endpoints]


def email_gauges(runtime) -> list:
    with runtime.sessions() as session:
        by_status = dict(session.execute(sa.select(Email.status, sa.func.count()).group_by(Email.status)).all())
    emails = GaugeMetricFamily("hub_emails", "Emails to people by status", labels=["status"])
    for status in DELIVERY_STATUSES:
        emails.add_metric([status], by_status.get(status, 0))
    return [emails]
