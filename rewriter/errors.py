"""Domain errors. ``api/errors.py`` maps each to one HTTP status, in one place."""

from __future__ import annotations

from rewriter.domain import Usage


class RealiseError(Exception):
    """Base class for every error the pipeline raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UpstreamError(RealiseError):
    """The model provider failed us; subclasses say how.

    ``provider_fault`` says whether the failure is evidence that the provider itself is unwell
    (down, erroring, overloaded, too slow) rather than that one request went wrong. Only such
    failures count towards opening the circuit breaker: a reply the guard rejects, output the
    model could not get right, or a 400 for one request can be provoked by a caller's own
    input, and must never switch the model off for everyone else.
    """

    provider_fault = False

    def __init__(
        self, message: str, *, attempts: int = 0, usage: Usage | None = None, provider_fault: bool | None = None
    ) -> None:
        super().__init__(message)
        self.attempts = attempts
        if provider_fault is not None:
            self.provider_fault = provider_fault
        # What the failed calls still cost (servers bill, and count, tokens of rejected or
        # unusable replies): callers add it to the bill and the metrics like a success's.
        self.usage = usage if usage is not None else Usage(calls=attempts)


class UpstreamUnavailable(UpstreamError):
    """5xx storms, refused connections, rate limits that outlasted the retry budget."""

    provider_fault = True

    def __init__(
        self, message: str, *, attempts: int = 0, retry_after: float | None = None, usage: Usage | None = None
    ) -> None:
        super().__init__(message, attempts=attempts, usage=usage)
        self.retry_after = retry_after


class UpstreamTimeout(UpstreamError):
    """The model did not answer within the deadline."""

    provider_fault = True


class UpstreamBadOutput(UpstreamError):
    """The model answered, but not with anything usable (even after one re-ask).

    Not a provider fault by default: what the model writes follows from the request. A server
    that answers 200 with something that is not a chat completion at all is raised with
    ``provider_fault=True``: no request can cause that."""


class UpstreamRejected(UpstreamError):
    """The provider refused the request itself (400/401/403/404): configuration, or this
    request's content (a content filter). Either way not the provider's health: a wrong key
    fails every call with its own clear 502, and a filtered request fails only itself."""


class StorageUnavailable(RealiseError):
    """The database cannot be written now (a full disk, a read-only file, an I/O error).

    Transient from the service's point of view: nothing the caller sent is wrong, and work
    that meets it waits and resumes (``rewriter/storage_faults.py`` raises it).
    """

    def __init__(self, message: str, *, full: bool) -> None:
        super().__init__(message)
        self.full = full
