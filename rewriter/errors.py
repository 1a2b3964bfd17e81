"""Domain errors. ``api/errors.py`` maps each to one HTTP status, in one place."""

from __future__ import annotations

from rewriter.domain import Usage


class RealiseError(Exception):
    """Base class for every error the pipeline raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UpstreamError(RealiseError):
    """The model provider failed us; subclasses say how."""

    def __init__(self, message: str, *, attempts: int = 0, usage: Usage | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        # What the failed calls still cost (servers bill, and count, tokens of rejected or
        # unusable replies): callers add it to the bill and the metrics like a success's.
        self.usage = usage if usage is not None else Usage(calls=attempts)


class UpstreamUnavailable(UpstreamError):
    """5xx storms, refused connections, rate limits that outlasted the retry budget."""

    def __init__(self, message: str, *, attempts: int = 0, retry_after: float | None = None, usage: Usage | None = None) -> None:
        super().__init__(message, attempts=attempts, usage=usage)
        self.retry_after = retry_after


class UpstreamTimeout(UpstreamError):
    """The model did not answer within the deadline."""


class UpstreamBadOutput(UpstreamError):
    """The model answered, but not with anything usable (even after one re-ask)."""


class UpstreamRejected(UpstreamError):
    """The provider refused the request itself (400/401/403/404): configuration, not luck."""
