"""Domain errors. ``api/errors.py`` maps each to one HTTP status, in one place."""

from __future__ import annotations


class RealiseError(Exception):
    """Base class for every error the pipeline raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UpstreamError(RealiseError):
    """The model provider failed us; subclasses say how."""

    def __init__(self, message: str, *, attempts: int = 0) -> None:
        super().__init__(message)
        self.attempts = attempts


class UpstreamUnavailable(UpstreamError):
    """5xx storms, refused connections, rate limits that outlasted the retry budget."""

    def __init__(self, message: str, *, attempts: int = 0, retry_after: float | None = None) -> None:
        super().__init__(message, attempts=attempts)
        self.retry_after = retry_after


class UpstreamTimeout(UpstreamError):
    """The model did not answer within the deadline."""


class UpstreamBadOutput(UpstreamError):
    """The model answered, but not with anything usable (even after one re-ask)."""


class UpstreamRejected(UpstreamError):
    """The provider refused the request itself (400/401/403/404): configuration, not luck."""
