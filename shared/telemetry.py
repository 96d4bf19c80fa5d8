"""OpenTelemetry bootstrap and JSON logs with trace ids.

Call `init_telemetry` once per process *after* fork (gunicorn's post_fork, a worker's main):
a provider created before fork would share its exporter thread with the children.
Spans never carry personal data: no bodies, and URLs without their query strings.
"""
from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

_lock = threading.Lock()
_initialised_for: str | None = None


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


def init_telemetry(service_name: str, otlp_endpoint: str | None = None, trace_file: Path | None = None,
                   log_level: str = "INFO") -> None:
    """Install the tracer provider and JSON logging for this process (idempotent)."""
    global _initialised_for
    with _lock:
        if _initialised_for is not None:
            return
        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            endpoint = otlp_endpoint.rstrip("/")
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
        if trace_file:
            provider.add_span_processor(BatchSpanProcessor(JsonFileSpanExporter(trace_file),
                                                           schedule_delay_millis=200))
        trace.set_tracer_provider(provider)
        configure_logging(service_name, log_level)
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


class JsonLogFormatter(logging.Formatter):
    """One JSON object a line, with the active trace and span ids for correlation."""

    def __init__(self, service_name: str):
        super().__init__()
        self.service_name = service_name

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": self.service_name,
            "logger": record.name,
            "message": record.getMessage(),
        }
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            entry["trace_id"] = format(ctx.trace_id, "032x")
            entry["span_id"] = format(ctx.span_id, "016x")
        for key in ("event_id", "event_type", "referral_id", "delivery_id", "queue"):
            if hasattr(record, key):
                entry[key] = str(getattr(record, key))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service_name: str, level: str = "INFO") -> None:
    import time

    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter(service_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("gunicorn.error", "gunicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # SQLAlchemy echoes parameters at INFO, which could include personal data: keep it at WARNING.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
