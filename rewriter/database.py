"""The one database the stores share: a SQLite file (the embedded default) or PostgreSQL.

``Database.open`` takes a file path or a URL. A path, or ``sqlite:///…``, is a SQLite file in WAL
mode (``synchronous=NORMAL``: a killed process loses nothing committed; only a power cut can
lose the last few transactions). ``postgresql://…`` is PostgreSQL through psycopg 3; that is
what several machines share (docs/operations.md).

Opening brings the schema up to date with the Alembic migrations in ``rewriter/migrations``,
so a file written by any earlier version of realise is upgraded in place with nothing lost.
Two processes opening an old database at once migrate it once: the migration runs under
SQLite's write lock, or PostgreSQL's advisory lock :data:`MIGRATION_LOCK`.

Each thread has a connection of its own for short statements (the event loop's run one at a
time, as before; handlers on the thread pool get theirs), and long readers such as an export
take a pooled connection, so a slow reader never holds up the writers.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from rewriter.errors import StorageUnavailable


@functools.lru_cache(maxsize=512)
def sql(statement: str) -> sa.TextClause:
    """A statement as SQLAlchemy runs it, made once per text: the stores' statements are
    constants, and building and keying a new clause on every call costs more than running it."""
    return sa.text(statement)


# Alembic narrates every step (and its plug-ins as it loads them) at INFO; the service says
# once what a migration changed (rewriter/migrations). Set before Alembic is first imported.
logging.getLogger("alembic").setLevel(logging.WARNING)

# pg_advisory_xact_lock key while migrating: any number of servers and workers may start together.
MIGRATION_LOCK = 0x7265616C697365  # "realise"


def engine_url(target: str | Path) -> sa.URL:
    """The SQLAlchemy URL for a file path or a database URL (``postgresql://`` uses psycopg 3)."""
    text = str(target)
    if "://" not in text:
        return sa.URL.create("sqlite+pysqlite", database=str(Path(text)))
    url = sa.make_url(text)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    elif url.drivername == "sqlite":
        url = url.set(drivername="sqlite+pysqlite")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"realise stores its data in SQLite or PostgreSQL, not {url.get_backend_name()!r}")
    return url


def _sqlite_engine(url: sa.URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # check_same_thread=False: an app is built on one thread and served on another (tests), and
    # exports read on the thread pool.
    engine = sa.create_engine(
        url, isolation_level="AUTOCOMMIT", connect_args={"check_same_thread": False}, pool_size=8, max_overflow=8
    )

    @sa.event.listens_for(engine, "connect")
    def configure(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    return engine


class Database:
    """An engine, migrated on open, and the connection the event loop's statements share.

    Connections are in autocommit mode: a read is one statement, and a write that needs more
    than one goes in :meth:`transaction`, which begins it explicitly (on SQLite, ``BEGIN
    IMMEDIATE``: it takes the write lock at the start, so two writers queue instead of one
    failing half-way with "database is locked").
    """

    def __init__(self, engine: Engine, *, path: Path | None) -> None:
        self.engine = engine
        self.path = path  # the SQLite file, or None on PostgreSQL
        self._local = threading.local()  # .connection: this thread's
        self._open: list[Connection] = []  # every thread's, for close()
        self._open_lock = threading.Lock()
        self._begin = "BEGIN IMMEDIATE" if path is not None else "BEGIN"

    @classmethod
    def open(cls, target: str | Path, *, migrate: bool = True) -> Database:
        url = engine_url(target)
        if url.get_backend_name() == "sqlite":
            database = cls(_sqlite_engine(url), path=Path(url.database or ":memory:"))
        else:
            # pre_ping: a pooled connection that a database restart broke is replaced, not used.
            engine = sa.create_engine(
                url, isolation_level="AUTOCOMMIT", pool_pre_ping=True, pool_size=5, max_overflow=10
            )
            database = cls(engine, path=None)
        if migrate:
            try:
                database.migrate()
            except sa.exc.OperationalError as exc:  # no server, refused, wrong password, no such database
                database.engine.dispose()
                raise StorageUnavailable(
                    f"cannot open the database {database.description}: {exc.orig}", full=False
                ) from exc
        return database

    @property
    def is_postgresql(self) -> bool:
        return self.path is None

    @property
    def description(self) -> str:
        """How messages name it: the file, or the server and database (never the password)."""
        if self.path is not None:
            return str(self.path)
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=True)

    def migrate(self) -> None:
        """Bring the schema up to date (rewriter/migrations), once however many processes start."""
        from rewriter.migrations import upgrade

        with self.reader() as connection, self._transaction_on(connection):
            if self.is_postgresql:
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            upgrade(connection)

    @property
    def connection(self) -> Connection:
        """This thread's connection, (re)opened on demand: after close(), or after the server
        dropped it (a database restart)."""
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is not None and (connection.invalidated or connection.closed):
            connection.close()
            connection = None
        if connection is None:
            connection = self.engine.connect()
            self._local.connection = connection
            with self._open_lock:
                self._open = [c for c in self._open if not c.closed] + [connection]
        return connection

    @contextmanager
    def _transaction_on(self, connection: Connection) -> Iterator[Connection]:
        connection.exec_driver_sql(self._begin)
        try:
            yield connection
        except BaseException:
            try:
                connection.exec_driver_sql("ROLLBACK")
            except sa.exc.DBAPIError:
                pass  # SQLite rolls back by itself on some errors (a full disk); a lost connection has nothing to undo
            raise
        connection.exec_driver_sql("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A transaction on the shared connection: committed at the end, rolled back on error."""
        connection = self.connection
        try:
            with self._transaction_on(connection):
                yield connection
        except sa.exc.DBAPIError as exc:
            if exc.connection_invalidated:
                connection.close()  # the next statement opens a new one
            raise

    def query(self, statement: str, parameters: dict[str, Any] | None = None) -> sa.CursorResult[*tuple[Any, ...]]:
        """One statement on the shared connection (autocommit)."""
        connection = self.connection
        try:
            return connection.execute(sql(statement), parameters or {})
        except sa.exc.DBAPIError as exc:
            if exc.connection_invalidated:
                connection.close()
            raise

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        """A pooled connection of its own, for a long read that must not hold up the others."""
        with self.engine.connect() as connection:
            yield connection

    def close(self) -> None:
        with self._open_lock:
            connections, self._open = self._open, []
        for connection in connections:
            connection.close()
        if self.path is not None:
            # Fold the WAL back into the file, so a stopped service leaves one tidy file; on a
            # full disk it cannot, and the WAL (whole, committed) is folded in next time.
            try:
                with self.engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            except sa.exc.DBAPIError:
                pass
        self.engine.dispose()
