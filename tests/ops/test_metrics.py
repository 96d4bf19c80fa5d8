"""`/metrics`: the messaging and delivery gauges, and counters that add up across processes."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

from prometheus_client.parser import text_string_to_metric_families

from shared.contracts.envelope import Event

from tests.notifications.conftest import referral_sent


def samples(text: str) -> dict[tuple, float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_messaging_and_delivery_gauges(runtime, client):
    with runtime.sessions.begin() as session:
        runtime.emit(session, referral_sent(uuid.uuid4(), uuid.uuid4()))
    event = Event.of(referral_sent(uuid.uuid4(), uuid.uuid4()), source="/referrals")
    runtime.consumer().store(event.ce_headers(), event.body(), event.id)
    runtime.processor({"referral.sent": lambda session, event: 1 / 0}).process_due()  # one attempt: dead

    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    values = samples(response.get_data(as_text=True))
    assert values[("hub_outbox_pending", (("service", "notifications"),))] == 1
    assert values[("hub_outbox_oldest_pending_age_seconds", (("service", "notifications"),))] >= 0
    consumer = (("consumer", "notifications.events"), ("service", "notifications"))
    assert values[("hub_inbox_dead", consumer)] == 1
    assert values[("hub_inbox_waiting", consumer)] == 0
    assert values[("hub_webhook_deliveries", (("status", "delivered"),))] == 0
    assert ("hub_webhook_endpoints", (("state", "disabled"),)) in values


def test_requests_are_counted_by_route_and_status(client):
    def count() -> float:
        text = client.get("/metrics").get_data(as_text=True)
        return samples(text).get(("hub_http_requests_total", (("method", "GET"), ("route", "/v1/webhooks"),
                                                              ("service", "notifications"), ("status", "401"))), 0)

    before = count()
    client.get("/v1/webhooks?cursor=secret-query")
    client.get("/v1/webhooks")
    assert count() == before + 2


def test_a_collector_a_service_adds_is_scraped_and_a_failing_one_skipped(app, client):
    from prometheus_client.core import GaugeMetricFamily

    def referrals_by_status():
        family = GaugeMetricFamily("hub_test_referrals", "by status", labels=["status"])
        family.add_metric(["sent"], 3)
        return [family]

    app.extensions["hub.metrics.collectors"] += [lambda: 1 / 0, referrals_by_status]
    assert samples(client.get("/metrics").get_data(as_text=True))[("hub_test_referrals", (("status", "sent"),))] == 3


COUNTING_PROCESS = """
import sys
from prometheus_client import Counter
from shared.telemetry import init_telemetry, metric
init_telemetry("notifications", metrics_role=sys.argv[1])
metric(Counter, "hub_test_things_total", "things", ("kind",)).labels("x").inc(int(sys.argv[2]))
"""


def test_counts_of_web_workers_and_the_worker_process_add_up(tmp_path):
    """As gunicorn runs them: the master prepared the web directory; the worker process finds its own."""
    web_dir = tmp_path / "metrics" / "notifications" / "web"
    web_dir.mkdir(parents=True)
    env = {**os.environ, "HUB_VAR_DIR": str(tmp_path)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    for role, amount, extra in (("web", 2, {"PROMETHEUS_MULTIPROC_DIR": str(web_dir)}),
                                ("web", 3, {"PROMETHEUS_MULTIPROC_DIR": str(web_dir)}),
                                ("worker", 5, {})):
        subprocess.run([sys.executable, "-c", COUNTING_PROCESS, role, str(amount)], env={**env, **extra},
                       check=True, timeout=60)
    assert len(list(web_dir.glob("counter_*.db"))) == 2
    assert len(list((tmp_path / "metrics" / "notifications" / "worker").glob("counter_*.db"))) == 1

    scrape = """
import sys
from prometheus_client import generate_latest
from shared.telemetry import process_metrics_collector
sys.stdout.write(generate_latest(process_metrics_collector()).decode())
"""
    text = subprocess.run([sys.executable, "-c", scrape], env={**env, "PROMETHEUS_MULTIPROC_DIR": str(web_dir)},
                          check=True, capture_output=True, text=True, timeout=60).stdout
    assert samples(text)[("hub_test_things_total", (("kind", "x"),))] == 10
