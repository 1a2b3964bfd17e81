"""Batches, their items and computed results, in one SQLite file (WAL mode).

Tables:

* ``batches`` — one row per batch: status, options, counters. Counters change in the same
  transaction as the item they count, so a status read is one row, never a scan.
* ``batch_items`` — one row per input item: text, status (pending → done | failed),
  attempts, the result row once done, the last error.
* ``batch_results`` — the persistent cache: what the engine generated, by cache key
  (normalised request and context, options, mission, provider, model and prompt version),
  so a repeated item, in this batch or any later one, is never paid for twice. Generations
  are cached rather than scores, so a cached item is judged by the rules in force today.

Durability: WAL with ``synchronous=NORMAL`` survives a killed process (committed
transactions are in the WAL, which the OS holds); only a power cut can lose the last few.

One connection serves the event loop (the runner and the HTTP handlers, all on one thread);
readers that stream a whole batch out get their own read-only connection, so a long export
never holds up the runner's writes.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec

from rewriter.batch.errors import BatchConflict, BatchNotFound
from rewriter.storage_faults import NotesStorageFaults, translates_storage_faults
from rewriter.batch.model import UNFINISHED, BacklogItem, Batch, BatchOptions, BatchStatus, PendingItem

_BATCHES_TABLE_COLUMNS = """
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'cancelled', 'failed')),
    source TEXT NOT NULL,
    input_digest TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT,
    options TEXT NOT NULL,
    total INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    cached INTEGER NOT NULL DEFAULT 0,
    tokens INTEGER NOT NULL DEFAULT 0,
    tokens_at_run_start INTEGER NOT NULL DEFAULT 0,
    completed_at_run_start INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created_at REAL NOT NULL,
    run_started_at REAL,
    finished_at REAL
"""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS batches ({_BATCHES_TABLE_COLUMNS});
CREATE INDEX IF NOT EXISTS batches_by_status ON batches (status, seq);
CREATE INDEX IF NOT EXISTS batches_by_input ON batches (input_digest, seq);
CREATE INDEX IF NOT EXISTS batches_by_owner ON batches (owner, seq);
CREATE UNIQUE INDEX IF NOT EXISTS batches_by_idempotency_key ON batches (owner, idempotency_key);
CREATE TABLE IF NOT EXISTS batch_items (
    batch_seq INTEGER NOT NULL REFERENCES batches (seq),
    position INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    request TEXT NOT NULL,
    context TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    cached INTEGER NOT NULL DEFAULT 0,
    result BLOB,
    error TEXT,
    PRIMARY KEY (batch_seq, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS batch_items_by_status ON batch_items (batch_seq, status, position);
CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS batch_results (
    cache_key TEXT PRIMARY KEY,
    generation BLOB NOT NULL,
    tokens INTEGER NOT NULL,
    created_at REAL NOT NULL
) WITHOUT ROWID;
"""

# The schema's version, in SQLite's user_version: files from before versions are 0 and have
# no owners. Opening a file brings it up to SCHEMA_VERSION, each step in one transaction.
SCHEMA_VERSION = 2
_V1_BATCH_COLUMNS = (
    "seq, id, status, source, input_digest, idempotency_key, options, total, done, failed, cached, tokens, "
    "tokens_at_run_start, completed_at_run_start, error, created_at, run_started_at, finished_at"
)
# Version 2: batches belong to an owner (the API key that made them; '' for batches made with
# keys off, or before owners existed), and an idempotency key is unique per owner instead of
# across owners. SQLite cannot drop a column's UNIQUE, so the table is rebuilt and copied.
_ADD_OWNERS = f"""
CREATE TABLE batches_v2 ({_BATCHES_TABLE_COLUMNS});
INSERT INTO batches_v2 ({_V1_BATCH_COLUMNS}, owner) SELECT {_V1_BATCH_COLUMNS}, '' FROM batches;
DROP TABLE batches;
ALTER TABLE batches_v2 RENAME TO batches;
"""

_BATCH_COLUMNS = (
    "id, seq, status, source, input_digest, options, total, done, failed, cached, tokens, tokens_at_run_start, "
    "completed_at_run_start, error, created_at, run_started_at, finished_at"
)
_INSERT_CHUNK = 500  # items per executemany: bounded memory while a large file streams in


def _upgrade(connection: sqlite3.Connection) -> None:
    """Bring a file from an earlier version of this schema up to this one, nothing lost.

    The check runs inside the write transaction, so two processes opening an old file at
    once migrate it once."""
    if connection.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        columns = {row[1] for row in connection.execute("PRAGMA table_info(batches)")}
        if columns and "owner" not in columns:
            for statement in filter(str.strip, _ADD_OWNERS.split(";\n")):
                connection.execute(statement)
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


class StoredRow(msgspec.Struct, frozen=True):
    """An item as the results export reads it."""

    position: int
    id: str
    status: str
    request: str
    result: bytes | None
    error: str | None


def _batch(row: tuple) -> Batch:
    (batch_id, seq, status, source, digest, options, total, done, failed, cached, tokens, tokens_at_start,
     completed_at_start, error, created_at, run_started_at, finished_at) = row  # fmt: skip
    return Batch(
        id=batch_id, seq=seq, status=status, source=source, input_digest=digest,
        options=msgspec.json.decode(options, type=BatchOptions), total=total, done=done, failed=failed,
        cached=cached, tokens=tokens, tokens_at_run_start=tokens_at_start, completed_at_run_start=completed_at_start,
        error=error, created_at=created_at, run_started_at=run_started_at, finished_at=finished_at,
    )  # fmt: skip


@translates_storage_faults
class BatchStore(NotesStorageFaults):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection: sqlite3.Connection | None = None
        self._db  # create the file and schema now, so a bad path fails at start-up

    @property
    def _db(self) -> sqlite3.Connection:
        """The connection, (re)opened on demand: an app may be shut down and started again."""
        if self._connection is None:
            # check_same_thread=False: the app is built on one thread and served on another (tests).
            connection = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA busy_timeout=5000")
            _upgrade(connection)
            connection.executescript(SCHEMA)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._connection = connection
        return self._connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            # SQLite rolls back by itself on some errors (a full disk): then there is nothing to undo.
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        if self._connection is not None:
            # Fold the WAL back into the database file, so a stopped service leaves one tidy file;
            # on a full disk it cannot, and the WAL (whole, committed) is folded in next time.
            try:
                self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
            self._connection.close()
            self._connection = None

    def probe_write(self) -> None:
        """Write and commit one small row: raises StorageUnavailable when the database cannot be written."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO write_probe (id, at) VALUES (1, ?)", (time.time(),))

    def item_counts(self) -> dict[str, int]:
        """Items across all batches by state (for metrics), from the per-batch counters."""
        total, done, failed, cached = self._db.execute(
            "SELECT COALESCE(SUM(total), 0), COALESCE(SUM(done), 0), COALESCE(SUM(failed), 0), COALESCE(SUM(cached), 0) FROM batches"
        ).fetchone()
        return {"pending": total - done - failed, "done": done, "failed": failed, "cached": cached}

    # --- batches -----------------------------------------------------------------------------

    def create(
        self,
        items: Iterable[BacklogItem],
        *,
        options: BatchOptions,
        source: str,
        input_digest: str,
        idempotency_key: str | None = None,
        owner: str = "",
    ) -> Batch:
        """Store a batch and all its items in one transaction: a batch is either whole or absent.

        ``items`` is consumed as it is stored; an error it raises (a bad row, too many items)
        rolls the whole batch back.
        """
        batch_id = "bat_" + secrets.token_hex(8)
        with self._transaction() as db:
            try:
                cursor = db.execute(
                    "INSERT INTO batches (id, status, source, input_digest, owner, idempotency_key, options, created_at) "
                    "VALUES (?, 'queued', ?, ?, ?, ?, ?, ?)",
                    (batch_id, source, input_digest, owner, idempotency_key, msgspec.json.encode(options).decode(), time.time()),
                )
            except sqlite3.IntegrityError as exc:  # another process took the key between our look-up and now
                raise BatchConflict(f"the Idempotency-Key {idempotency_key!r} is already in use") from exc
            seq = cursor.lastrowid
            total = 0
            chunk: list[tuple] = []
            for position, item in enumerate(items):
                chunk.append((seq, position, item.id or str(position + 1), item.request, item.context))
                total = position + 1
                if len(chunk) == _INSERT_CHUNK:
                    db.executemany("INSERT INTO batch_items (batch_seq, position, item_id, request, context) VALUES (?, ?, ?, ?, ?)", chunk)
                    chunk.clear()
            db.executemany("INSERT INTO batch_items (batch_seq, position, item_id, request, context) VALUES (?, ?, ?, ?, ?)", chunk)
            db.execute("UPDATE batches SET total = ? WHERE seq = ?", (total, seq))
        return self.get(batch_id)

    def get(self, batch_id: str, *, owner: str | None = None) -> Batch:
        """A batch by id; with ``owner``, only that owner's (another's is as absent as none)."""
        row = self._db.execute(
            f"SELECT {_BATCH_COLUMNS} FROM batches WHERE id = ? AND (? IS NULL OR owner = ?)", (batch_id, owner, owner)
        ).fetchone()
        if row is None:
            raise BatchNotFound(f"there is no batch {batch_id!r}")
        return _batch(row)

    def by_idempotency_key(self, key: str, *, owner: str) -> Batch | None:
        """The owner's batch sent with this Idempotency-Key: keys are scoped to their owner."""
        row = self._db.execute(
            f"SELECT {_BATCH_COLUMNS} FROM batches WHERE owner = ? AND idempotency_key = ?", (owner, key)
        ).fetchone()
        return _batch(row) if row else None

    def find(
        self,
        *,
        limit: int,
        before_seq: int | None = None,
        status: BatchStatus | None = None,
        input_digest: str | None = None,
        owner: str | None = None,
    ) -> list[Batch]:
        """Newest first; ``before_seq`` continues a previous page; with ``owner``, only theirs."""
        clauses: list[str] = ["seq < ?"]
        values: list[int | str] = [before_seq if before_seq is not None else 2**63 - 1]
        if owner is not None:
            clauses.append("owner = ?")
            values.append(owner)
        if status:
            clauses.append("status = ?")
            values.append(status)
        if input_digest:
            clauses.append("input_digest = ?")
            values.append(input_digest)
        rows = self._db.execute(
            f"SELECT {_BATCH_COLUMNS} FROM batches WHERE {' AND '.join(clauses)} ORDER BY seq DESC LIMIT ?", (*values, limit)
        ).fetchall()
        return [_batch(row) for row in rows]

    def unfinished(self) -> list[str]:
        """Ids of batches to run when the service starts: queued ones, and those a stop or crash interrupted."""
        placeholders = ", ".join("?" * len(UNFINISHED))
        rows = self._db.execute(f"SELECT id FROM batches WHERE status IN ({placeholders}) ORDER BY seq", UNFINISHED).fetchall()
        return [batch_id for (batch_id,) in rows]

    def start_run(self, batch_id: str) -> Batch:
        """Mark an unfinished batch running and start the rate window progress and ETA are measured over.

        The token budget counts from the start of a run (a submission or a retry); resuming
        after a restart continues the same run, so a crash loop cannot reset the budget.
        """
        self._db.execute(
            "UPDATE batches SET tokens_at_run_start = CASE WHEN status = 'queued' THEN tokens ELSE tokens_at_run_start END, "
            "status = 'running', run_started_at = ?, completed_at_run_start = done + failed "
            "WHERE id = ? AND status IN ('queued', 'running')",
            (time.time(), batch_id),
        )
        return self.get(batch_id)

    def finish(self, seq: int, status: BatchStatus, error: str | None = None) -> None:
        """End a run, unless the batch was cancelled meanwhile (a cancel has the last word)."""
        self._db.execute(
            "UPDATE batches SET status = ?, error = ?, finished_at = ? WHERE seq = ? AND status = 'running'",
            (status, error, time.time(), seq),
        )

    def cancel(self, batch_id: str, *, owner: str | None = None) -> Batch:
        batch = self.get(batch_id, owner=owner)
        if batch.status in ("done", "failed"):
            raise BatchConflict(f"batch {batch_id} has already ended ({batch.status}); there is nothing to cancel")
        self._db.execute(
            "UPDATE batches SET status = 'cancelled', finished_at = ? WHERE seq = ? AND status IN ('queued', 'running')",
            (time.time(), batch.seq),
        )
        return self.get(batch_id)

    def requeue(self, batch_id: str, *, owner: str | None = None) -> Batch:
        """Queue an ended batch again: its failed items become pending, and so do items a cancel left undone."""
        batch = self.get(batch_id, owner=owner)
        if batch.status in UNFINISHED:
            raise BatchConflict(f"batch {batch_id} is {batch.status}; retry it once it has ended")
        with self._transaction() as db:
            retried = db.execute(
                "UPDATE batch_items SET status = 'pending', attempts = 0, error = NULL WHERE batch_seq = ? AND status = 'failed'",
                (batch.seq,),
            ).rowcount
            if batch.pending + retried == 0:
                raise BatchConflict(f"every item of batch {batch_id} is done; there is nothing to retry")
            db.execute(
                "UPDATE batches SET status = 'queued', failed = failed - ?, error = NULL, finished_at = NULL WHERE seq = ?",
                (retried, batch.seq),
            )
        return self.get(batch_id)

    # --- items -------------------------------------------------------------------------------

    def pending_items(self, seq: int, *, after: int, limit: int) -> list[PendingItem]:
        rows = self._db.execute(
            "SELECT position, request, context, attempts FROM batch_items "
            "WHERE batch_seq = ? AND status = 'pending' AND position > ? ORDER BY position LIMIT ?",
            (seq, after, limit),
        ).fetchall()
        return [PendingItem(position, request, context, attempts) for position, request, context, attempts in rows]

    def complete(
        self, seq: int, position: int, result: bytes, *, tokens: int, cached: bool, cache_entry: tuple[str, bytes] | None = None
    ) -> None:
        """Record an item's result and cost, and offer its generation to later items (``cache_entry``: key, generation)."""
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE batch_items SET status = 'done', result = ?, cached = ?, error = NULL, attempts = attempts + 1 "
                "WHERE batch_seq = ? AND position = ? AND status = 'pending'",
                (result, cached, seq, position),
            ).rowcount
            # The guard above keeps the counters exact even if two processes share the file and
            # both finish the item; the tokens were spent either way.
            db.execute(
                "UPDATE batches SET done = done + ?, cached = cached + ?, tokens = tokens + ? WHERE seq = ?",
                (changed, changed if cached else 0, tokens, seq),
            )
            if cache_entry is not None:
                db.execute(
                    "INSERT OR IGNORE INTO batch_results (cache_key, generation, tokens, created_at) VALUES (?, ?, ?, ?)",
                    (*cache_entry, tokens, time.time()),
                )

    def fail(self, seq: int, position: int, error: str, *, tokens: int = 0) -> None:
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE batch_items SET status = 'failed', error = ?, attempts = attempts + 1 "
                "WHERE batch_seq = ? AND position = ? AND status = 'pending'",
                (error, seq, position),
            ).rowcount
            db.execute("UPDATE batches SET failed = failed + ?, tokens = tokens + ? WHERE seq = ?", (changed, tokens, seq))

    def defer(self, seq: int, position: int, error: str, *, tokens: int = 0) -> None:
        """Count a transient failure; the item stays pending for a later pass."""
        with self._transaction() as db:
            db.execute(
                "UPDATE batch_items SET attempts = attempts + 1, error = ? WHERE batch_seq = ? AND position = ? AND status = 'pending'",
                (error, seq, position),
            )
            db.execute("UPDATE batches SET tokens = tokens + ? WHERE seq = ?", (tokens, seq))

    def cached_generation(self, cache_key: str) -> bytes | None:
        row = self._db.execute("SELECT generation FROM batch_results WHERE cache_key = ?", (cache_key,)).fetchone()
        return row[0] if row else None

    # --- export ------------------------------------------------------------------------------

    def rows(self, seq: int, *, page: int = 500) -> Iterator[list[StoredRow]]:
        """Every item of a batch in input order, a page at a time, on a connection of its own.

        Keyset paging (position > last) keeps each query short, so a slow reader never holds
        a read transaction open for the whole export.
        """
        reader = sqlite3.connect(self.path.absolute().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
        try:
            after = -1
            while True:
                found = reader.execute(
                    "SELECT position, item_id, status, request, result, error FROM batch_items "
                    "WHERE batch_seq = ? AND position > ? ORDER BY position LIMIT ?",
                    (seq, after, page),
                ).fetchall()
                if not found:
                    return
                yield [StoredRow(*row) for row in found]
                after = found[-1][0]
        finally:
            reader.close()
