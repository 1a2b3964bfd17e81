"""Storage that cannot be written is the service's fault, never the request's, and it passes.

SQLite reports a full disk, a read-only file or directory, an I/O error or a lock held too
long as ``sqlite3.OperationalError`` like any other failure. The stores translate exactly
those into :class:`~rewriter.errors.StorageUnavailable`, so the API answers 507 or 503 (never a
generic 500), ``/ready`` can say so, and a batch that meets it pauses instead of failing.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from rewriter.errors import StorageUnavailable

_FULL = ("SQLITE_FULL",)
_UNAVAILABLE = ("SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_BUSY", "SQLITE_LOCKED")
# Older SQLite builds name no error code; their messages say the same.
_FULL_WORDS = ("disk is full",)
_UNAVAILABLE_WORDS = ("readonly database", "read-only", "unable to open database", "disk i/o error", "database is locked")


def storage_fault(exc: BaseException) -> StorageUnavailable | None:
    """The storage fault ``exc`` is, or None when it is something else (a bug, a constraint)."""
    if not isinstance(exc, sqlite3.Error):
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if name.startswith(_FULL) or any(words in text for words in _FULL_WORDS):
        return StorageUnavailable(f"the database's disk is full ({exc})", full=True)
    if name.startswith(_UNAVAILABLE) or any(words in text for words in _UNAVAILABLE_WORDS):
        return StorageUnavailable(f"the database cannot be written ({exc})", full=False)
    return None


Method = TypeVar("Method", bound=Callable[..., Any])


def _noted(store: Any, exc: sqlite3.Error) -> Exception:
    """The error to raise for ``exc``; a storage fault is also noted on the store (when, what),
    so a readiness check can report writes that failed even if its own small probe succeeds."""
    fault = storage_fault(exc)
    if fault is None:
        return exc
    store.last_storage_fault = (time.monotonic(), fault)
    return fault


def _translated(method: Method) -> Method:
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def generator(store: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from method(store, *args, **kwargs)
            except sqlite3.Error as exc:
                raise _noted(store, exc) from exc

        return generator  # type: ignore[return-value]

    @functools.wraps(method)
    def plain(store: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(store, *args, **kwargs)
        except sqlite3.Error as exc:
            raise _noted(store, exc) from exc

    return plain  # type: ignore[return-value]


class NotesStorageFaults:
    """A store whose methods note their storage faults (see :func:`translates_storage_faults`)."""

    last_storage_fault: tuple[float, StorageUnavailable] | None = None  # (monotonic time, the fault)


Store = TypeVar("Store", bound=type[NotesStorageFaults])


def translates_storage_faults(cls: Store) -> Store:
    """Class decorator: every public method of a store raises StorageUnavailable for a storage
    fault, and the store's ``last_storage_fault`` says when the last one happened."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(member):
            setattr(cls, name, _translated(member))
    return cls
