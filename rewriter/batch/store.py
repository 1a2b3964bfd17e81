"""Batches, their items and computed results, in the service's database (rewriter/database.py).

Tables (their history: rewriter/migrations):

* ``batches`` — one row per batch: status, options, counters. Counters change in the same
  transaction as the item they count, so a status read is one row, never a scan.
* ``batch_items`` — one row per input item: text, status (pending → done | failed),
  attempts, the result row once done, the last error.
* ``batch_results`` — the persistent cache: what the engine generated, by cache key
  (normalised request and context, options, mission, provider, model and prompt version),
  so a repeated item, in this batch or any later one, is never paid for twice. Generations
  are cached rather than scores, so a cached item is judged by the rules in force today.

Every write that changes an item's state is guarded by the state it expects (``status =
'pending'``), so however many processes share the database, an item gets exactly one result
and its batch's counters stay exact.

The event loop's statements share one connection; readers that stream a whole batch out get
a connection of their own, so a long export never holds up the writes.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa

from rewriter.batch.errors import BatchConflict, BatchNotFound
from rewriter.batch.model import UNFINISHED, BacklogItem, Batch, BatchOptions, BatchStatus, PendingItem
from rewriter.database import Database, sql
from rewriter.storage_faults import NotesStorageFaults, translates_storage_faults

if TYPE_CHECKING:
    from rewriter.batch.jobs import JobQueue

_BATCH_COLUMNS = (
    "id, seq, status, source, input_digest, options, total, done, failed, cached, tokens, tokens_at_run_start, "
    "completed_at_run_start, error, created_at, run_started_at, finished_at"
)
_INSERT_CHUNK = 500  # items per executemany: bounded memory while a large file streams in
_INSERT_ITEMS = sql(
    "INSERT INTO batch_items (batch_seq, position, item_id, request, context) "
    "VALUES (:seq, :position, :item_id, :request, :context)"
)


class StoredRow(msgspec.Struct, frozen=True):
    """An item as the results export reads it."""

    position: int
    id: str
    status: str
    request: str
    result: bytes | None
    error: str | None


def _batch(row: Any) -> Batch:
    (batch_id, seq, status, source, digest, options, total, done, failed, cached, tokens, tokens_at_start,
     completed_at_start, error, created_at, run_started_at, finished_at) = row  # fmt: skip
    return Batch(
        id=batch_id, seq=seq, status=status, source=source, input_digest=digest,
        options=msgspec.json.decode(options, type=BatchOptions), total=total, done=done, failed=failed,
        cached=cached, tokens=tokens, tokens_at_run_start=tokens_at_start, completed_at_run_start=completed_at_start,
        error=error, created_at=created_at, run_started_at=run_started_at, finished_at=finished_at,
    )  # fmt: skip


def _pages_by_position(connection: sa.Connection, statement: str, seq: int, page: int) -> Iterator[Sequence[Any]]:
    """A batch's items a page at a time: ``statement`` selects the position first and takes
    ``:seq``, ``:after`` and ``:page``. Keyset paging keeps each query short, whatever the size."""
    after = -1
    while rows := connection.execute(sql(statement), {"seq": seq, "after": after, "page": page}).all():
        yield rows
        after = rows[-1][0]


@translates_storage_faults
class BatchStore(NotesStorageFaults):
    def __init__(self, database: Database | str | Path, *, queue: JobQueue | None = None) -> None:
        """``database``: the shared :class:`Database`, or a SQLite file's path (opened and migrated now,
        so a bad path fails at start-up). ``queue``: in the distributed mode, where a batch's
        dispatch job is queued, in the transaction that stores or re-queues the batch."""
        self.database = database if isinstance(database, Database) else Database.open(database)
        self.path = self.database.path
        self.queue = queue

    def _query(self, statement: str, **parameters: Any) -> sa.CursorResult[*tuple[Any, ...]]:
        return self.database.query(statement, parameters)

    def close(self) -> None:
        self.database.close()

    def probe_write(self) -> None:
        """Write and commit one small row: raises StorageUnavailable when the database cannot be written."""
        self._query(
            "INSERT INTO write_probe (id, at) VALUES (1, :at) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
            at=time.time(),
        )

    def item_counts(self) -> dict[str, int]:
        """Items across all batches by state (for metrics), from the per-batch counters."""
        total, done, failed, cached = self._query(
            "SELECT COALESCE(SUM(total), 0), COALESCE(SUM(done), 0), COALESCE(SUM(failed), 0), "
            "COALESCE(SUM(cached), 0) "
            "FROM batches"
        ).one()
        total, done, failed, cached = int(total), int(done), int(failed), int(cached)
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
        with self.database.transaction() as db:
            try:
                seq = db.execute(
                    sql(
                        "INSERT INTO batches "
                        "(id, status, source, input_digest, owner, idempotency_key, options, created_at) "
                        "VALUES (:id, 'queued', :source, :digest, :owner, :key, :options, :now) RETURNING seq"
                    ),
                    {"id": batch_id, "source": source, "digest": input_digest, "owner": owner, "key": idempotency_key,
                     "options": msgspec.json.encode(options).decode(), "now": time.time()},
                ).scalar_one()  # fmt: skip
            except sa.exc.IntegrityError as exc:  # another process took the key between our look-up and now
                raise BatchConflict(f"the Idempotency-Key {idempotency_key!r} is already in use") from exc
            total = 0
            chunk: list[dict[str, Any]] = []
            for position, item in enumerate(items):
                chunk.append(
                    {"seq": seq, "position": position, "item_id": item.id or str(position + 1), "request": item.request,
                     "context": item.context}
                )  # fmt: skip
                total = position + 1
                if len(chunk) == _INSERT_CHUNK:
                    db.execute(_INSERT_ITEMS, chunk)
                    chunk.clear()
            if chunk:
                db.execute(_INSERT_ITEMS, chunk)
            db.execute(sql("UPDATE batches SET total = :total WHERE seq = :seq"), {"total": total, "seq": seq})
            if self.queue is not None:
                self.queue.dispatch(db, seq)
        return self.get(batch_id)

    def get(self, batch_id: str, *, owner: str | None = None) -> Batch:
        """A batch by id; with ``owner``, only that owner's (another's is as absent as none)."""
        if owner is None:
            row = self._query(f"SELECT {_BATCH_COLUMNS} FROM batches WHERE id = :id", id=batch_id).first()
        else:
            row = self._query(
                f"SELECT {_BATCH_COLUMNS} FROM batches WHERE id = :id AND owner = :owner", id=batch_id, owner=owner
            ).first()
        if row is None:
            raise BatchNotFound(f"there is no batch {batch_id!r}")
        return _batch(row)

    def by_seq(self, seq: int) -> Batch:
        row = self._query(f"SELECT {_BATCH_COLUMNS} FROM batches WHERE seq = :seq", seq=seq).first()
        if row is None:
            raise BatchNotFound(f"there is no batch number {seq}")
        return _batch(row)

    def by_idempotency_key(self, key: str, *, owner: str) -> Batch | None:
        """The owner's batch sent with this Idempotency-Key: keys are scoped to their owner."""
        row = self._query(
            f"SELECT {_BATCH_COLUMNS} FROM batches WHERE owner = :owner AND idempotency_key = :key",
            owner=owner,
            key=key,
        ).first()
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
        clauses = ["seq < :before"]
        values: dict[str, Any] = {"before": before_seq if before_seq is not None else 2**63 - 1, "limit": limit}
        for column, value in (("owner", owner), ("status", status or None), ("input_digest", input_digest or None)):
            if value is not None:
                clauses.append(f"{column} = :{column}")
                values[column] = value
        rows = self._query(
            f"SELECT {_BATCH_COLUMNS} FROM batches WHERE {' AND '.join(clauses)} ORDER BY seq DESC LIMIT :limit",
            **values,
        ).all()
        return [_batch(row) for row in rows]

    def unfinished(self) -> list[str]:
        """Ids of batches to run when the service starts: queued ones, and those a stop or crash interrupted."""
        rows = self._query("SELECT id FROM batches WHERE status IN ('queued', 'running') ORDER BY seq").all()
        return [batch_id for (batch_id,) in rows]

    def start_run(self, batch_id: str) -> Batch:
        """Mark an unfinished batch running and start the rate window progress and ETA are measured over.

        The token budget counts from the start of a run (a submission or a retry); resuming
        after a restart continues the same run, so a crash loop cannot reset the budget.
        """
        self._query(
            "UPDATE batches SET "
            "tokens_at_run_start = CASE WHEN status = 'queued' THEN tokens ELSE tokens_at_run_start END, "
            "status = 'running', run_started_at = :now, completed_at_run_start = done + failed "
            "WHERE id = :id AND status IN ('queued', 'running')",
            now=time.time(), id=batch_id,
        )  # fmt: skip
        return self.get(batch_id)

    def finish(self, seq: int, status: BatchStatus, error: str | None = None) -> None:
        """End a run, unless the batch was cancelled meanwhile (a cancel has the last word)."""
        self._query(
            "UPDATE batches SET status = :status, error = :error, finished_at = :now "
            "WHERE seq = :seq AND status = 'running'",
            status=status, error=error, now=time.time(), seq=seq,
        )  # fmt: skip

    def finish_if_settled(self, seq: int) -> bool:
        """End a running batch as done once no item is pending; True if this call ended it."""
        ended = self._query(
            "UPDATE batches SET status = 'done', finished_at = :now WHERE seq = :seq AND status = 'running' "
            "AND done + failed >= total",
            now=time.time(), seq=seq,
        ).rowcount  # fmt: skip
        return bool(ended)

    def start_queued_run(
        self, seq: int, each_page: Callable[[sa.Connection, Batch, list[PendingItem]], None], *, page: int = 1000
    ) -> Batch | None:
        """Start a queued batch's run (as :meth:`start_run` does) and hand its pending items to
        ``each_page``, all in one transaction; the batch as started, or None if it was not queued."""
        with self.database.transaction() as db:
            started = db.execute(
                sql(
                    "UPDATE batches SET tokens_at_run_start = tokens, status = 'running', run_started_at = :now, "
                    "completed_at_run_start = done + failed WHERE seq = :seq AND status = 'queued'"
                ),
                {"now": time.time(), "seq": seq},
            ).rowcount
            if not started:
                return None
            batch = _batch(
                db.execute(sql(f"SELECT {_BATCH_COLUMNS} FROM batches WHERE seq = :seq"), {"seq": seq}).one()
            )
            pending = (
                "SELECT position, request, context, attempts FROM batch_items WHERE batch_seq = :seq "
                "AND status = 'pending' AND position > :after ORDER BY position LIMIT :page"
            )
            for rows in _pages_by_position(db, pending, seq, page):
                each_page(db, batch, [PendingItem(*row) for row in rows])
            return batch

    def running_item(self, seq: int, position: int) -> tuple[BatchOptions, PendingItem] | None:
        """The item and its batch's options, if the item is pending and its batch running."""
        row = self._query(
            "SELECT b.options, i.position, i.request, i.context, i.attempts FROM batch_items i "
            "JOIN batches b ON b.seq = i.batch_seq "
            "WHERE i.batch_seq = :seq AND i.position = :position AND i.status = 'pending' AND b.status = 'running'",
            seq=seq, position=position,
        ).first()  # fmt: skip
        if row is None:
            return None
        return msgspec.json.decode(row[0], type=BatchOptions), PendingItem(*row[1:])

    def not_running(self, seqs: list[int]) -> list[int]:
        """Which of these batches are no longer running (cancelled or ended)."""
        if not seqs:
            return []
        statement = sql("SELECT seq FROM batches WHERE seq IN :seqs AND status <> 'running'").bindparams(
            sa.bindparam("seqs", expanding=True)
        )
        return [seq for (seq,) in self.database.connection.execute(statement, {"seqs": seqs}).all()]

    def live_workers(self, within: float) -> int:
        """Job-queue workers that sent a heartbeat in the last ``within`` seconds (PostgreSQL only)."""
        return int(
            self._query(
                "SELECT COUNT(*) FROM procrastinate_workers "
                "WHERE last_heartbeat > NOW() - make_interval(secs => :within)",
                within=within,
            ).scalar_one()
        )

    def cancel(self, batch_id: str, *, owner: str | None = None) -> Batch:
        batch = self.get(batch_id, owner=owner)
        if batch.status in ("done", "failed"):
            raise BatchConflict(f"batch {batch_id} has already ended ({batch.status}); there is nothing to cancel")
        self._query(
            "UPDATE batches SET status = 'cancelled', finished_at = :now "
            "WHERE seq = :seq AND status IN ('queued', 'running')",
            now=time.time(), seq=batch.seq,
        )  # fmt: skip
        return self.get(batch_id)

    def requeue(self, batch_id: str, *, owner: str | None = None) -> Batch:
        """Queue an ended batch again: its failed items become pending, and so do items a cancel left undone."""
        batch = self.get(batch_id, owner=owner)
        if batch.status in UNFINISHED:
            raise BatchConflict(f"batch {batch_id} is {batch.status}; retry it once it has ended")
        with self.database.transaction() as db:
            retried = db.execute(
                sql(
                    "UPDATE batch_items SET status = 'pending', attempts = 0, error = NULL "
                    "WHERE batch_seq = :seq AND status = 'failed'"
                ),
                {"seq": batch.seq},
            ).rowcount
            if batch.pending + retried == 0:
                raise BatchConflict(f"every item of batch {batch_id} is done; there is nothing to retry")
            db.execute(
                sql(
                    "UPDATE batches SET status = 'queued', failed = failed - :retried, error = NULL, "
                    "finished_at = NULL "
                    "WHERE seq = :seq"
                ),
                {"retried": retried, "seq": batch.seq},
            )
            if self.queue is not None:
                self.queue.dispatch(db, batch.seq)
        return self.get(batch_id)

    # --- items -------------------------------------------------------------------------------

    def pending_items(self, seq: int, *, after: int, limit: int) -> list[PendingItem]:
        rows = self._query(
            "SELECT position, request, context, attempts FROM batch_items "
            "WHERE batch_seq = :seq AND status = 'pending' AND position > :after ORDER BY position LIMIT :limit",
            seq=seq, after=after, limit=limit,
        ).all()  # fmt: skip
        return [PendingItem(position, request, context, attempts) for position, request, context, attempts in rows]

    def complete(
        self,
        seq: int,
        position: int,
        result: bytes,
        *,
        tokens: int,
        cached: bool,
        cache_entry: tuple[str, bytes] | None = None,
    ) -> bool:
        """Record an item's result and cost, and offer its generation to later items (``cache_entry``: key, generation).

        True if this call gave the item its result (False: it had one, or failed, already)."""
        with self.database.transaction() as db:
            changed = db.execute(
                sql(
                    "UPDATE batch_items SET status = 'done', result = :result, cached = :cached, error = NULL, "
                    "attempts = attempts + 1 WHERE batch_seq = :seq AND position = :position AND status = 'pending'"
                ),
                {"result": result, "cached": int(cached), "seq": seq, "position": position},
            ).rowcount
            # The guard above keeps the counters exact however many processes finish the item;
            # the tokens were spent either way.
            db.execute(
                sql(
                    "UPDATE batches SET done = done + :changed, cached = cached + :cached, tokens = tokens + :tokens "
                    "WHERE seq = :seq"
                ),
                {"changed": changed, "cached": changed if cached else 0, "tokens": tokens, "seq": seq},
            )
            if cache_entry is not None:
                db.execute(
                    sql(
                        "INSERT INTO batch_results (cache_key, generation, tokens, created_at) "
                        "VALUES (:key, :generation, :tokens, :now) ON CONFLICT (cache_key) DO NOTHING"
                    ),
                    {"key": cache_entry[0], "generation": cache_entry[1], "tokens": tokens, "now": time.time()},
                )
        return bool(changed)

    def fail(self, seq: int, position: int, error: str, *, tokens: int = 0) -> None:
        with self.database.transaction() as db:
            changed = db.execute(
                sql(
                    "UPDATE batch_items SET status = 'failed', error = :error, attempts = attempts + 1 "
                    "WHERE batch_seq = :seq AND position = :position AND status = 'pending'"
                ),
                {"error": error, "seq": seq, "position": position},
            ).rowcount
            db.execute(
                sql("UPDATE batches SET failed = failed + :changed, tokens = tokens + :tokens WHERE seq = :seq"),
                {"changed": changed, "tokens": tokens, "seq": seq},
            )

    def defer(self, seq: int, position: int, error: str, *, tokens: int = 0) -> None:
        """Count a transient failure; the item stays pending for a later pass."""
        with self.database.transaction() as db:
            db.execute(
                sql(
                    "UPDATE batch_items SET attempts = attempts + 1, error = :error "
                    "WHERE batch_seq = :seq AND position = :position AND status = 'pending'"
                ),
                {"error": error, "seq": seq, "position": position},
            )
            db.execute(
                sql("UPDATE batches SET tokens = tokens + :tokens WHERE seq = :seq"), {"tokens": tokens, "seq": seq}
            )

    def cached_generation(self, cache_key: str) -> bytes | None:
        row = self._query("SELECT generation FROM batch_results WHERE cache_key = :key", key=cache_key).first()
        return bytes(row[0]) if row else None

    # --- export ------------------------------------------------------------------------------

    def rows(self, seq: int, *, page: int = 500) -> Iterator[list[StoredRow]]:
        """Every item of a batch in input order, a page at a time, on a connection of its own.

        Keyset paging (position > last) keeps each query short, so a slow reader never holds
        a read transaction open for the whole export.
        """
        every_item = (
            "SELECT position, item_id, status, request, result, error FROM batch_items "
            "WHERE batch_seq = :seq AND position > :after ORDER BY position LIMIT :page"
        )
        with self.database.reader() as reader:
            for found in _pages_by_position(reader, every_item, seq, page):
                yield [
                    StoredRow(position, item_id, status, request, None if result is None else bytes(result), error)
                    for position, item_id, status, request, result, error in found
                ]
