"""What every service's Flask application has: OpenAPI, problems, health, metrics, headers, traces."""
from __future__ import annotations

import time
from collections.abc import Callable
from http import HTTPStatus

from flask import Response, g, jsonify, request
from flask_openapi3 import Info, OpenAPI
from flask_openapi3.models import Tag
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel
import sqlalchemy as sa

from shared.messaging import broker
from shared.problems import PROBLEM_JSON, Problem, problem_response, register_problem_handlers, validation_problem

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
    if engine is not None:
        SQLAlchemyInstrumentor().instrument(engine=engine, enable_commenter=False)
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
    registry = CollectorRegistry()
    requests = Counter("hub_http_requests_total", "HTTP requests by route and status",
                       ["service", "method", "route", "status"], registry=registry)
    latency = Histogram("hub_http_request_duration_seconds", "HTTP request latency by route",
                        ["service", "method", "route"], registry=registry,
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
    app.extensions["hub.metrics"] = registry

    @app.before_request
    def _start():
        g.hub_request_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        started = getattr(g, "hub_request_started", None)
        requests.labels(service, request.method, route, str(response.status_code)).inc()
        if started is not None:
            latency.labels(service, request.method, route).observe(time.perf_counter() - started)
        return response

    @app.route("/metrics")
    def metrics():
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
