"""RFC 9457 problem details: every 4xx/5xx of every service is `application/problem+json`.

Validation failures carry `errors: [{"field": "client.birth_date", "message": ...}]` with dotted
field paths, so a calling system can show the user which field to fix.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://hub.example/problems/"
log = logging.getLogger(__name__)


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """The problem document as the OpenAPI documents describe it (served as application/problem+json)."""

    model_config = ConfigDict(openapi_extra={
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}})

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = Field(default=None)


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str | None = None, *, code: str | None = None,
                 errors: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None):
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.code, self.errors, self.headers, self.extra = code, errors, headers or {}, extra or {}


def field_error(field: str, message: str, status: int = 422) -> ProblemError:
    return ProblemError(status, "Invalid request", f"{field}: {message}", code="validation-error",
                        errors=[{"field": field, "message": message}])


def problem_response(status: int, title: str, detail: str | None = None, *, code: str | None = None,
                     errors: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None,
                     extra: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code if code else "about:blank",
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _dotted(location: tuple, root: str) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or root


def validation_problem(exc: ValidationError, root: str = "body") -> Response:
    """flask-openapi3's validation_error_callback: a pydantic error as a 422 problem."""
    errors = []
    for err in exc.errors(include_url=False, include_input=False):
        message = err["msg"]
        if err["type"] == "missing":
            message = "This field is required."
        errors.append({"field": _dotted(tuple(err["loc"]), root), "message": message})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem_response(422, "Invalid request", detail, code="validation-error", errors=errors)


def register_problem_handlers(app: Flask) -> None:
    @app.errorhandler(ProblemError)
    def _problem(exc: ProblemError):
        return problem_response(exc.status, exc.title, exc.detail, code=exc.code, errors=exc.errors,
                                headers=exc.headers, extra=exc.extra)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        # flask-openapi3 aborts with a ready-made response on validation errors: keep it.
        if exc.response is not None:
            return exc.response
        headers = {}
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        return problem_response(exc.code or 500, exc.name, exc.description, headers=headers)

    @app.errorhandler(OperationalError)
    def _database_unavailable(exc: OperationalError):
        # The database restarting or unreachable is not the caller's fault, nor a bug: ask to retry.
        log.warning("database unavailable: %s", type(exc.orig).__name__ if exc.orig else "OperationalError")
        return problem_response(503, "Service Unavailable", "The database is not available; retry shortly.",
                                code="unavailable", headers={"Retry-After": "2"})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return problem_response(500, "Internal Server Error", "The hub could not complete the request.")
