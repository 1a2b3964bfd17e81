"""Every error becomes RFC 9457 problem+json here, and only here."""

from __future__ import annotations

import math
import re
from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from api.cancellation import ClientDisconnected
from rewriter.batch.errors import BatchConflict, BatchInputError, BatchNotFound, BatchTooLarge, UnsupportedFormat
from rewriter.errors import (
    StorageUnavailable,
    UpstreamBadOutput,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)

log = structlog.get_logger("realise.errors")

PROBLEM_JSON = "application/problem+json"
_PATH = re.compile(r"at `\$\.?([^`]*)`")
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    502: "Bad gateway: the model's answer was unusable",
    503: "Model unavailable",
    504: "Model timed out",
    507: "Insufficient storage",
}
STORAGE_RETRY_AFTER_SECONDS = 30


class InvalidInput(Exception):
    """Input that passed the schema but is still wrong (e.g. an unknown rule code)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def problem(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    kind: str | None = None,
    title: str | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"https://realise.dev/problems/{kind or status}",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    request_id = request.scope.get("state", {}).get("request_id")
    if request_id:
        body["request_id"] = request_id
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(exc: ValidationException) -> list[dict[str, str]]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", ""))
        path = _PATH.search(message)
        # __post_init__ errors name their field in backticks: "`request` must ...".
        named = re.match(r"`([^`]+)`", message) or re.search(r"field `([^`]+)`", message)
        key = item.get("key")
        field = (
            (path.group(1) if path else None)
            or (named.group(1) if named else None)
            or (key if key != "data" else None)
            or "body"
        )
        if message.strip("'\"") == "data":  # Litestar's way of saying the body was missing
            message = "a JSON request body is required"
        errors.append({"field": field, "message": _PATH.sub("", message).strip(" -")})
    return errors


def validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    errors = _field_errors(exc)
    undecodable = any("malformed" in e["message"].lower() or "json is" in e["message"].lower() for e in errors)
    if undecodable or not errors:
        return problem(
            request, 400, "The request body is not valid JSON.", errors=errors or None, kind="malformed-body"
        )
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return problem(request, 422, f"Invalid value for: {fields}.", errors=errors, kind="invalid-input")


def invalid_input_handler(request: Request[Any, Any, Any], exc: InvalidInput) -> Response[dict[str, Any]]:
    return problem(
        request,
        422,
        f"Invalid value for: {exc.field}.",
        errors=[{"field": exc.field, "message": exc.message}],
        kind="invalid-input",
    )


def http_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    headers = dict(exc.headers or {})
    if exc.status_code == 429 and "RateLimit-Reset" in headers:
        # The rate limiter says when the window resets; Retry-After is what clients act on.
        headers["Retry-After"] = str(max(int(headers["RateLimit-Reset"]), 1))
    return problem(request, exc.status_code, str(exc.detail), headers=headers)


def upstream_handler(request: Request[Any, Any, Any], exc: UpstreamError) -> Response[dict[str, Any]]:
    log.warning("upstream_failed", error=exc.message, kind=type(exc).__name__, attempts=exc.attempts)
    if isinstance(exc, UpstreamTimeout):
        return problem(request, 504, exc.message, kind="model-timeout")
    if isinstance(exc, UpstreamUnavailable):
        retry_after = str(max(1, math.ceil(exc.retry_after))) if exc.retry_after else "30"
        return problem(request, 503, exc.message, headers={"Retry-After": retry_after}, kind="model-unavailable")
    if isinstance(exc, UpstreamRejected):
        # Configuration (model name, key, URL), not the model's answer: the title says so.
        return problem(
            request,
            502,
            exc.message,
            kind="model-rejected",
            title="Bad gateway: the model provider refused the request",
        )
    if isinstance(exc, UpstreamBadOutput):
        return problem(request, 502, exc.message, kind="model-bad-output")
    return problem(request, 502, exc.message, kind="model-error", title="Bad gateway: the model provider failed")


def batch_input_handler(request: Request[Any, Any, Any], exc: BatchInputError) -> Response[dict[str, Any]]:
    if isinstance(exc, UnsupportedFormat):
        status, kind = 415, "unsupported-format"
    elif isinstance(exc, BatchTooLarge):
        status, kind = 413, "batch-too-large"
    else:
        status, kind = 422, "invalid-input"
    return problem(request, status, exc.message, errors=[{"field": exc.field, "message": exc.message}], kind=kind)


def batch_not_found_handler(request: Request[Any, Any, Any], exc: BatchNotFound) -> Response[dict[str, Any]]:
    return problem(request, 404, exc.message, kind="batch-not-found")


def batch_conflict_handler(request: Request[Any, Any, Any], exc: BatchConflict) -> Response[dict[str, Any]]:
    return problem(request, 409, exc.message, kind="batch-conflict")


def storage_handler(request: Request[Any, Any, Any], exc: StorageUnavailable) -> Response[dict[str, Any]]:
    # The service's storage, not the request: nothing was stored, and the same request will work
    # once the disk has room (507) or the database can be written again (503).
    log.error("storage_unavailable", error=exc.message, full=exc.full)
    if exc.full:
        detail = "The service's disk is full, so nothing was stored; try again once an operator has freed space."
        return problem(
            request, 507, detail, headers={"Retry-After": str(STORAGE_RETRY_AFTER_SECONDS)}, kind="storage-full"
        )
    detail = "The service cannot write to its database right now, so nothing was stored; try again later."
    return problem(
        request,
        503,
        detail,
        headers={"Retry-After": str(STORAGE_RETRY_AFTER_SECONDS)},
        kind="storage-unavailable",
        title="Storage unavailable",
    )


def disconnected_handler(request: Request[Any, Any, Any], exc: ClientDisconnected) -> Response[dict[str, Any]]:
    # Nobody will read this; 499 (nginx's "client closed request") makes the log line honest.
    return problem(request, 499, "The client closed the connection; the work was cancelled.")


def unexpected_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled_error", error_type=type(exc).__name__)
    return problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "An unexpected error occurred; it has been logged.")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ValidationException: validation_handler,
    InvalidInput: invalid_input_handler,
    HTTPException: http_handler,
    UpstreamError: upstream_handler,
    BatchInputError: batch_input_handler,
    BatchNotFound: batch_not_found_handler,
    BatchConflict: batch_conflict_handler,
    StorageUnavailable: storage_handler,
    ClientDisconnected: disconnected_handler,
    Exception: unexpected_handler,
}
