"""What every service's Flask application has: OpenAPI, problems, health, metrics, headers, traces,
and the operators' endpoints of its messaging (`shared.ops`)."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from http import HTTPStatus

from flask import Response, g, jsonify, request
from flask_openapi3 import Info, OpenAPI
from flask_openapi3.models import Tag
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic import BaseModel
import sqlalchemy as sa

from shared.messaging import broker
from shared.problems import PROBLEM_JSON, Problem, problem_response, register_problem_handlers, validation_problem
from shared.telemetry import instrument_engine, metric, process_metrics_collector

SECURITY_SCHEMES = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
BEARER = [{"bearerAuth": []}]
health_tag = Tag(name="health", description="Liveness and readiness")

def problem_responses(*statuses: int) -> dict:
    """Error answers documented as what they are: `application/problem+json` documents."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {status: {"description": HTTPStatus(status).phrase, "content": {PROBLEM_JSON: {"schema": schema}}}
            for status in statuses}


# The error answers every authenticated operation documents (schemathesis checks answers against them).
COMMON_ERRORS = problem_responses(401, 403, 404, 422, 429, 500, 503)


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


def create_service_app(name: str, *, title: str, description: str, database_check: Callable[[], None],
                       broker_url: str, engine=None) -> OpenAPI:
    app = OpenAPI(
        name,
        info=Info(title=title, version="1.0.0", description=description),
        security_schemes=SECURITY_SCHEMES,
        responses={422: Problem, 500: Problem},
        validation_error_status=422,
        validation_error_model=Problem,
        validation_error_callback=validation_problem,
        doc_ui=False,
    )
    app.config["JSON_SORT_KEYS"] = False
    register_problem_handlers(app)
    _install_security_headers(app)
    _install_metrics(app, name)

    @app.get("/healthz", tags=[health_tag], responses={200: Health}, summary="The process is alive")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz", tags=[health_tag], responses={200: Health, 503: Problem},
             summary="The database and the broker answer")
    def readyz():
        checks, failed = {}, []
        for check_name, check in (("database", database_check), ("broker", lambda: broker.check(broker_url))):
            try:
                check()
                checks[check_name] = "ok"
            except Exception as exc:  # any failure means not ready; say which, not why in detail
                checks[check_name] = f"unavailable ({type(exc).__name__})"
                failed.append(check_name)
        if failed:
            return problem_response(503, "Service Unavailable", f"Not ready: {', '.join(failed)} unavailable.",
                                    code="not-ready", extra={"checks": checks})
        return jsonify(status="ok", checks=checks)

    @app.route("/openapi.json")
    def openapi_document():
        return jsonify(app.api_doc)

    FlaskInstrumentor().instrument_app(app, excluded_urls="healthz,readyz,metrics,openapi.json")
    app.wsgi_app = _raw_uri_without_query(app.wsgi_app)
    if engine is not None:
        instrument_engine(engine)
    from shared import ops  # imports shared.web itself

    ops.install(app)
    return app


def _raw_uri_without_query(wsgi_app):
    """The request span's `http.target` comes from the raw URI: keep its query (a search term, an
    identity code typed by mistake) out of traces. Flask itself reads `QUERY_STRING`, left as is."""
    def app(environ, start_response):
        for key in ("RAW_URI", "REQUEST_URI"):
            if "?" in environ.get(key, ""):
                environ[key] = environ[key].split("?", 1)[0]
        return wsgi_app(environ, start_response)
    return app


def database_check_for(engine) -> Callable[[], None]:
    def check() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    return check


def _install_security_headers(app) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                           "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype in ("application/json", "application/problem+json"):
            headers.setdefault("Cache-Control", "no-store")
        return response


def _install_metrics(app, service: str) -> None:
    """Request rate and latency by route and status, plus what services add at scrape time.

    `app.extensions["hub.metrics.collectors"]` is a list of callables returning prometheus_client
    metric families (e.g. `GaugeMetricFamily`), read at every scrape: a service adds its own
    (referrals by status, ...) without touching shared code. A failing one is logged and skipped.
    """
    collectors: list[Callable[[], object]] = []
    app.extensions["hub.metrics.collectors"] = collectors

    @app.before_request
    def _start():
        g.hub_request_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        started = getattr(g, "hub_request_started", None)
        metric(Counter, "hub_http_requests_total", "HTTP requests by route and status",
               ("service", "method", "route", "status")).labels(service, request.method, route,
                                                              str(response.status_code)).inc()
        if started is not None:
            metric(Histogram, "hub_http_request_duration_seconds", "HTTP request latency by route",
                   ("service", "method", "route"), buckets=LATENCY_BUCKETS
                   ).labels(service, request.method, route).observe(time.perf_counter() - started)
        return response

    @app.route("/metrics")
    def metrics():
        return Response(generate_latest(_Scrape(process_metrics_collector(), collectors)),
                        mimetype=CONTENT_TYPE_LATEST)


LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class _Scrape:
    """One scrape: the processes' counted metrics and the collectors' scrape-time ones."""

    def __init__(self, counted, collectors):
        self.counted, self.collectors = counted, collectors

    def collect(self):
        yield from self.counted.collect()
        for collector in self.collectors:
            try:
                families = list(collector())
            except Exception:  # a database that is down must not take the other metrics with it
                logging.getLogger(__name__).warning("metrics collector %s failed", getattr(
                    collector, "__name__", collector), exc_info=True)
                continue
            yield from families
