"""gunicorn settings shared by the three web processes (`gunicorn -c python:shared.gunicorn_conf`).

Telemetry is initialised in `post_fork`: an OpenTelemetry provider created in the master would
share its exporter thread with every worker, which does not survive fork.
"""
import os

workers = int(os.environ.get("HUB_WEB_WORKERS", "2"))
threads = int(os.environ.get("HUB_WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = None  # request logs come from our JSON logger and the metrics
errorlog = "-"


def post_fork(server, worker):
    from shared.telemetry import init_telemetry

    service = os.environ["HUB_SERVICE"]
    init_telemetry(service, os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"), os.environ.get("HUB_TRACE_FILE"),
                   os.environ.get("HUB_LOG_LEVEL", "INFO"))
