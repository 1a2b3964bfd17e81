"""Storage that cannot be written is the service's fault, never the request's, and it passes.

SQLite reports a full disk, a read-only file or directory, an I/O error or a lock held too
long as ``sqlite3.OperationalError`` like any other failure; PostgreSQL reports a server it
cannot reach, a connection it lost, a full disk (SQLSTATE 53100) or a read-only or
shutting-down server by their SQLSTATE classes. SQLAlchemy wraps either in a ``DBAPIError``
whose ``orig`` is the driver's error. The stores translate exactly those into
:class:`~rewriter.errors.StorageUnavailable`, so the API answers 507 or 503 (never a generic
500), ``/ready`` can say so, and a batch that meets it pauses instead of failing.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import sqlalchemy as sa

from rewriter.errors import StorageUnavailable

# The errors a store's methods may meet: the driver's, and SQLAlchemy's wrapping of them.
DATABASE_ERRORS = (sqlite3.Error, sa.exc.DBAPIError)

_FULL = ("SQLITE_FULL",)
_UNAVAILABLE = ("SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_BUSY", "SQLITE_LOCKED")
# Older SQLite builds name no error code; their messages say the same.
_FULL_WORDS = ("disk is full",)
_UNAVAILABLE_WORDS = (
    "readonly database",
    "read-only",
    "unable to open database",
    "disk i/o error",
    "database is locked",
)
# PostgreSQL SQLSTATE: 53100 disk full; class 08 connection exceptions; 57P01-57P03 the server
# shutting down or not accepting connections yet; 25006 a read-only transaction (a standby).
_PG_FULL = ("53100",)
_PG_UNAVAILABLE = ("08", "57P01", "57P02", "57P03", "25006", "53300")


def storage_fault(exc: BaseException) -> StorageUnavailable | None:
    """The storage fault ``exc`` is, or None when it is something else (a bug, a constraint)."""
    if isinstance(exc, sa.exc.DBAPIError):
        if exc.connection_invalidated and not isinstance(exc.orig, sqlite3.Error):
            return StorageUnavailable(f"the database connection was lost ({exc.orig})", full=False)
        exc = exc.orig if isinstance(exc.orig, BaseException) else exc
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str):
        if sqlstate.startswith(_PG_FULL):
            return StorageUnavailable(f"the database's disk is full ({exc})", full=True)
        if sqlstate.startswith(_PG_UNAVAILABLE):
            return StorageUnavailable(f"the database cannot be written ({exc})", full=False)
        return None
    if type(exc).__module__.startswith("psycopg") and type(exc).__name__ == "OperationalError":
        return StorageUnavailable(f"the database cannot be reached ({exc})", full=False)  # no SQLSTATE: no connection
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


def _noted(store: Any, exc: Exception) -> Exception:
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
            except DATABASE_ERRORS as exc:
                raise _noted(store, exc) from exc

        return generator  # type: ignore[return-value]

    @functools.wraps(method)
    def plain(store: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(store, *args, **kwargs)
        except DATABASE_ERRORS as exc:
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
