"""OpenTelemetry bootstrap, JSON logs with trace ids, and Prometheus metrics that add up across processes.

Call `init_telemetry` once per process *after* fork (gunicorn's post_fork, a worker's main):
a provider created before fork would share its exporter thread with the children.
Spans never carry personal data: no bodies, and URLs without their query strings (shared.web
strips the raw URI the Flask instrumentation reads; the hub keeps OpenTelemetry's default HTTP
conventions, so no `url.query` attribute is recorded).

Metrics: gunicorn's workers and the service's worker process each count on their own, so
prometheus_client's multiprocess mode is used: every process writes its values to files under
`$HUB_VAR_DIR/metrics/<service>/<role>/` (role = `web` or `worker`), and `/metrics` of the web
process merges every role's files of its service. A process without telemetry (tests, a bare
`create_app()`) keeps plain in-memory metrics.
"""
from __future__ import annotations

import glob
import json
import logging
import os
import shutil
import sys
import threading
import time
import weakref
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

_lock = threading.Lock()
_initialised_for: str | None = None
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class JsonFileSpanExporter(SpanExporter):
    """Appends finished spans as JSON lines: the embedded mode's local trace store (and tests')."""

    def __init__(self, path: Path):
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def export(self, spans) -> SpanExportResult:
        lines = []
        for span in spans:
            ctx = span.get_span_context()
            parent = span.parent
            lines.append(json.dumps({
                "name": span.name,
                "kind": span.kind.name,
                "trace_id": format(ctx.trace_id, "032x"),
                "span_id": format(ctx.span_id, "016x"),
                "parent_span_id": format(parent.span_id, "016x") if parent else None,
                "service": span.resource.attributes.get("service.name"),
                "attributes": {k: (list(v) if isinstance(v, tuple) else v) for k, v in span.attributes.items()},
                "links": [{"trace_id": format(l.context.trace_id, "032x"),
                           "span_id": format(l.context.span_id, "016x")} for l in span.links],
                "start": span.start_time, "end": span.end_time,
                "status": span.status.status_code.name,
            }, default=str))
        with self._lock, self._path.open("a") as handle:
            handle.write("\n".join(lines) + "\n")
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def without_query(url: str) -> str:
    """A URL without its query string (which may carry a person's data or a receiver's token)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def init_telemetry(service_name: str, otlp_endpoint: str | None = None, trace_file: Path | None = None,
                   log_level: str = "INFO", metrics_role: str = "worker") -> None:
    """Install the tracer provider, JSON logging and multiprocess metrics for this process (idempotent).

    `metrics_role` is `web` for gunicorn's workers (whose master prepared the directory) and
    `worker` for a service's background process.
    """
    global _initialised_for
    with _lock:
        if _initialised_for is not None:
            return
        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            endpoint = otlp_endpoint.rstrip("/")
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
        elif trace_file:
            provider.add_span_processor(BatchSpanProcessor(JsonFileSpanExporter(trace_file),
                                                           schedule_delay_millis=200))
        trace.set_tracer_provider(provider)
        configure_logging(service_name, log_level)
        if metrics_role == "worker" and not os.environ.get(MULTIPROC_ENV):
            directory = metrics_dir(service_name, "worker")
            forget_dead_processes(directory)
            os.environ[MULTIPROC_ENV] = str(directory)
        if os.environ.get(MULTIPROC_ENV):
            _use_multiprocess_values()
        _initialised_for = service_name


def shutdown_telemetry() -> None:
    provider = trace.get_tracer_provider()
    if hasattr(provider, "shutdown"):
        provider.shutdown()


def tracer(name: str = "hub"):
    return trace.get_tracer(name)


def inject_headers(carrier: dict | None = None) -> dict:
    """The current trace context as `traceparent`/`tracestate` headers."""
    carrier = {} if carrier is None else carrier
    propagate.inject(carrier)
    return carrier


def extract_context(headers: dict | None):
    clean = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in (headers or {}).items()
             if k in ("traceparent", "tracestate")}
    return propagate.extract(clean)


def trace_id_of(headers: dict | None) -> str | None:
    """The trace id in stored `traceparent` headers (for operators' links to the tracing UI)."""
    context = trace.get_current_span(extract_context(headers)).get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


# -- database spans ---------------------------------------------------------------------------------
_instrumented_engines: "weakref.WeakSet" = weakref.WeakSet()


class _ChildSpansOnly:
    """A tracer that makes spans only inside a trace: the loops' idle polls must not be traces of their own."""

    def __init__(self, wrapped):
        self._wrapped = wrapped

    def start_span(self, name, context=None, *args, **kwargs):
        if not trace.get_current_span(context).get_span_context().is_valid:
            return trace.INVALID_SPAN
        return self._wrapped.start_span(name, context, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._wrapped, name)


def instrument_engine(engine) -> None:
    """SQLAlchemy spans (statements without parameters) for `engine`, once per engine, in any process.

    The instrumentor's own `instrument()` works once per process and also patches `create_engine`
    globally (which would trace the embedded broker's polling); this instruments exactly one engine.
    """
    if engine in _instrumented_engines:
        return
    from opentelemetry.instrumentation.sqlalchemy import __name__ as scope
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    usage = get_meter(scope).create_up_down_counter("db.client.connections.usage", unit="connections")
    EngineTracer(_ChildSpansOnly(trace.get_tracer(scope)), engine, usage, False, {}, False)
    _instrumented_engines.add(engine)


# -- metrics ----------------------------------------------------------------------------------------
_metrics: dict[str, object] = {}
_metrics_lock = threading.Lock()


def metrics_root() -> Path:
    return Path(os.environ.get("HUB_VAR_DIR", "var")).resolve() / "metrics"


def metrics_dir(service: str, role: str) -> Path:
    directory = metrics_root() / service / role
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def reset_metrics_dir(directory: Path) -> None:
    """At a gunicorn master's start: its workers are all new, so their old files are obsolete."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)


def forget_dead_processes(directory: Path) -> None:
    """Remove the live gauges of processes that no longer run (their counters keep counting in the sum)."""
    from prometheus_client.multiprocess import mark_process_dead

    for path in glob.glob(str(directory / "gauge_live*_*.db")):
        pid = Path(path).stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            mark_process_dead(int(pid), str(directory))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _use_multiprocess_values() -> None:
    """prometheus_client chooses its value class at import, maybe before the directory was known."""
    from prometheus_client import values

    if not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue()


def multiprocess_enabled() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def metric(kind, name: str, documentation: str, labelnames: tuple[str, ...] = (), **kwargs):
    """A process-wide metric, created on first use (after `init_telemetry` chose how values are kept).

    `kind` is prometheus_client's Counter, Gauge or Histogram. In multiprocess mode the metric
    lives in this process's files; otherwise in prometheus_client's default registry.
    """
    from prometheus_client import REGISTRY

    with _metrics_lock:
        existing = _metrics.get(name)
        if existing is None:
            existing = _metrics[name] = kind(name, documentation, labelnames,
                                             registry=None if multiprocess_enabled() else REGISTRY, **kwargs)
        return existing


def process_metrics_collector():
    """What this service's processes counted: merged from every role's files, or this process's registry."""
    from prometheus_client import REGISTRY
    from prometheus_client.multiprocess import MultiProcessCollector

    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return REGISTRY

    class MergedRoles:
        def collect(self):
            service_dir = Path(directory).parent
            return MultiProcessCollector.merge(glob.glob(str(service_dir / "*" / "*.db")), accumulate=True)

    return MergedRoles()


# -- logs -------------------------------------------------------------------------------------------
class JsonLogFormatter(logging.Formatter):
    """One JSON object a line, with the active trace and span ids for correlation."""

    def __init__(self, service_name: str | None = None, **_ignored):
        super().__init__()
        self.service_name = service_name or os.environ.get("HUB_SERVICE", "hub")

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's naming)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "service": self.service_name,
            "logger": record.name,
            "message": record.getMessage(),
        }
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            entry["trace_id"] = format(ctx.trace_id, "032x")
            entry["span_id"] = format(ctx.span_id, "016x")
        for key in ("event_id", "event_type", "referral_id", "delivery_id", "webhook_id", "queue"):
            if hasattr(record, key):
                entry[key] = str(getattr(record, key))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


# Loggers kept at WARNING: SQLAlchemy echoes statement parameters (personal data) at INFO; alembic
# announces its plugins at INFO in every web process; werkzeug logs each request with its query.
QUIET_LOGGERS = ("sqlalchemy", "alembic", "werkzeug")


def configure_logging(service_name: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter(service_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("gunicorn.error", "gunicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    route_stray_output_to_logging()


def route_stray_output_to_logging() -> None:
    """Warnings and uncaught exceptions (also in threads) become JSON log lines, not raw stderr text."""
    logging.captureWarnings(True)

    def _thread_exception(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        logging.getLogger("hub.uncaught").error(
            "uncaught exception in thread %s", getattr(args.thread, "name", "?"),
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    def _process_exception(exc_type, exc_value, exc_traceback) -> None:
        logging.getLogger("hub.uncaught").critical("uncaught exception", exc_info=(exc_type, exc_value, exc_traceback))

    threading.excepthook = _thread_exception
    sys.excepthook = _process_exception


def gunicorn_logconfig(service_name: str, level: str = "INFO") -> dict:
    """gunicorn's `logconfig_dict`: the master's and workers' own lines as JSON, like everything else."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "shared.telemetry.JsonLogFormatter", "service_name": service_name}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": level, "handlers": [], "propagate": True},
            **{name: {"level": "WARNING"} for name in QUIET_LOGGERS},
        },
    }
