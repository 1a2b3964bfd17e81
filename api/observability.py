"""structlog set-up and the per-request log line.

JSON lines when stderr is not a terminal (servers, CI), a readable console otherwise.
Secrets never reach a log line: header values are never logged, and a processor scrubs
anything that looks like a key or bearer token, plus the configured key values themselves.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable, MutableMapping
from typing import Any, cast

import structlog
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from rewriter.timing import RequestTiming, current_timing

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Field names that hold secrets ("api_key", "x-api-key", "access_token"), not ones that merely
# mention them ("tokens", "prompt_tokens" are counts).
_SECRET_KEYS = re.compile(
    r"^(?:.*[_-])?(?:authorization|api[_-]?key|token|secret|password|cookie|credentials?)$", re.IGNORECASE
)
_SECRET_VALUES = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+|\bsk-[A-Za-z0-9_-]{8,}")
REDACTED = "[redacted]"


class SecretScrubber:
    """A structlog processor: drop secret-named fields, mask secret-looking values."""

    def __init__(self, known_secrets: Iterable[str] = ()) -> None:
        self.known = [s for s in known_secrets if s and len(s) >= 6]

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self.known:
                value = value.replace(secret, REDACTED)
            return _SECRET_VALUES.sub(lambda m: (m.group(1) or "") + REDACTED, value)
        if isinstance(value, dict):
            return {k: (REDACTED if _SECRET_KEYS.match(str(k)) else self._clean(v)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self._clean(v) for v in value)
        return value

    def __call__(self, logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        return {k: (REDACTED if _SECRET_KEYS.match(k) else self._clean(v)) for k, v in event.items()}


def configure_logging(
    *, fmt: str = "auto", level: str = "INFO", secrets: Iterable[str] = (), stream: Any = None
) -> None:
    """structlog's lines, and those of every stdlib logger (uvicorn's, the SDK's warnings), in
    one format on ``stream`` (stderr: stdout belongs to a command's output)."""
    stream = stream or sys.stderr
    as_json = fmt == "json" or (fmt == "auto" and not getattr(stream, "isatty", lambda: False)())
    renderer: Any = structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=False)
    scrubber = SecretScrubber(secrets)
    numeric_level = logging.getLevelName(level.upper())
    # Client libraries log every HTTP call at INFO (URLs, status) in their own format; our access
    # and model-call lines already say what matters, in one format.
    for noisy in ("httpx", "httpx2", "httpcore", "openai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            scrubber,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    # The stdlib's loggers (uvicorn's "Started server process", "Uvicorn running on …") go
    # through the same processors, so a JSON log stays JSON lines from the first line on.
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, scrubber, renderer],
            foreign_pre_chain=[
                structlog.contextvars.merge_contextvars,
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.format_exc_info,
            ],
        )
    )
    handler._realise = True  # type: ignore[attr-defined]  # ours: replaced, not stacked, on reconfiguration
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_realise", False)] + [handler]
    root.setLevel(numeric_level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = []
        uvicorn_logger.propagate = True


access_log = structlog.get_logger("realise.access")


def log_fields(scope: Scope) -> dict[str, Any]:
    """Where handlers put what the access line should report (engine, model, tokens, retries)."""
    return scope.setdefault("state", {}).setdefault("log_fields", {})


class RequestLogMiddleware:
    """Outermost wrapper: request id in and out, one access log line per request, 404s too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        timing = RequestTiming()
        current_timing.set(timing)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                total_ms = (time.perf_counter() - started) * 1000
                # Server-Timing (W3C): lets a client separate our overhead from the model's time.
                server_timing = f"model;dur={timing.model_seconds * 1000:.2f}, total;dur={total_ms:.2f}"
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    (b"server-timing", server_timing.encode()),
                ]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                access_log.info(
                    "request",
                    method=cast("HTTPScope", scope)["method"],
                    path=scope["path"],
                    route=scope.get("path_template", scope["path"]),
                    status=status,
                    latency_ms=round((time.perf_counter() - started) * 1000, 2),
                    model_ms=round(timing.model_seconds * 1000, 2),
                    **log_fields(scope),
                )
