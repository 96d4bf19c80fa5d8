"""gunicorn settings shared by the three web processes (`gunicorn -c python:shared.gunicorn_conf`).

Telemetry is initialised in `post_fork`: an OpenTelemetry provider created in the master would
share its exporter thread with every worker, which does not survive fork. Metrics use
prometheus_client's multiprocess mode: the master clears the web role's directory at start (its
workers are all new) and forgets a worker's live gauges when it exits.
"""
import os

from shared.telemetry import MULTIPROC_ENV, gunicorn_logconfig

SERVICE = os.environ.get("HUB_SERVICE", "hub")

workers = int(os.environ.get("HUB_WEB_WORKERS", "2"))
threads = int(os.environ.get("HUB_WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = None  # request logs come from our JSON logger and the metrics
errorlog = "-"
logconfig_dict = gunicorn_logconfig(SERVICE, os.environ.get("HUB_LOG_LEVEL", "INFO"))


def on_starting(server):
    from shared.telemetry import metrics_dir, reset_metrics_dir, route_stray_output_to_logging

    # The master's own uncaught exceptions (e.g. a second SIGTERM while it halts) as JSON lines too.
    route_stray_output_to_logging()

    directory = metrics_dir(SERVICE, "web")
    reset_metrics_dir(directory)
    os.environ[MULTIPROC_ENV] = str(directory)  # inherited by every worker forked from here


def post_fork(server, worker):
    from shared.telemetry import init_telemetry

    init_telemetry(os.environ["HUB_SERVICE"], os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"),
                   os.environ.get("HUB_TRACE_FILE"), os.environ.get("HUB_LOG_LEVEL", "INFO"), metrics_role="web")


def child_exit(server, worker):
    from prometheus_client.multiprocess import mark_process_dead

    mark_process_dead(worker.pid, os.environ[MULTIPROC_ENV])
