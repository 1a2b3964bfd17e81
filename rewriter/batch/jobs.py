"""Batches on a job queue: with a PostgreSQL database, items are Procrastinate jobs.

The embedded mode (a SQLite file) runs batches in the process that holds the file's lock
(rewriter/batch/runner.py). With ``REALISE_DATABASE_URL=postgresql://…`` any number of
``realise serve`` processes store batches and any number of ``realise worker`` processes, on
any machines, run their items; all they share is the database. Why Procrastinate, and how to
run it: docs/operations.md.

* **Stored with its jobs.** A batch is stored with one ``dispatch`` job in the same
  transaction (and so is a retry): a batch is never queued without a job to run it, however
  the API process dies. The dispatch job marks the batch running and defers one ``item`` job
  per pending item, again in one transaction with the change of status.
* **Exactly one result.** An item job does nothing unless its item is still pending and its
  batch running, and an item's result is written only over a pending item (the store's
  guard), so a job that runs twice (a retried stalled job) never makes a second result; an
  item whose answer is stored is never sent again.
* **Duplicates and the cache across workers.** Items that could share a cache key share the
  job's ``lock`` (:func:`item_lock`): Procrastinate runs jobs with one lock one at a time, in
  the order deferred, so an identical item waits for the first and then finds its answer in
  the cache (``batch_results``), as it does in one process.
* **The provider's limit is global**: every model call takes a slot of the
  :class:`~rewriter.batch.global_limit.GlobalModelLimit` in the database.
* **Failures.** A transient model failure (rate limit, outage, timeout) is retried by the
  queue after a growing pause that honours Retry-After; the attempt that reaches
  ``max_attempts`` fails the item with its error. Other model failures fail the item at once.
  A database that cannot be written leaves the item pending and its job retried.
* **A dead worker's items**: its heartbeat (every third of ``stalled_seconds``) stops; every
  worker looks for jobs left ``doing`` by workers silent for ``stalled_seconds``
  (``REALISE_WORKER_TIMEOUT``) and queues them again.
* **Cancel** (from any API process) marks the batch cancelled; workers stop its calls in flight
  within :data:`CANCEL_POLL_SECONDS`, and its remaining jobs end without calling the model.
  A retry queues what is left.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import socket
from typing import Any

import msgspec
import procrastinate
import sqlalchemy as sa
import structlog
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from procrastinate.sync_psycopg_connector import SyncPsycopgConnector

from rewriter.batch.errors import BatchNotFound
from rewriter.batch.export import summarise
from rewriter.batch.global_limit import GlobalModelLimit
from rewriter.batch.model import Batch, BatchOptions, BatchRuns, PendingItem
from rewriter.batch.runner import MAX_PASS_DELAY, STORAGE_PAUSE_SECONDS, TRANSIENT, cache_key, normalised
from rewriter.batch.slots import JudgingLane
from rewriter.batch.store import BatchStore
from rewriter.batch.worker import compute
from rewriter.domain import CandidateDraft
from rewriter.errors import StorageUnavailable, UpstreamError
from rewriter.llm import OpenAIEngine
from rewriter.pipeline import RewritePipeline

log = structlog.get_logger("realise.batch")

QUEUE = "realise-batches"
DISPATCH_TASK = "realise.dispatch_batch"
ITEM_TASK = "realise.rewrite_item"
DEFER_CHUNK = 1000  # jobs per INSERT while a batch is dispatched
STALLED_SECONDS = 15.0  # by default, a worker silent this long is dead: its jobs in progress are queued again
CANCEL_POLL_SECONDS = 1.0
# Retries of an item whose result could not be stored (the database is down): the job keeps
# coming back every STORAGE_PAUSE_SECONDS for about this long, then gives up, leaving the
# item pending for a retry of the batch.
STORAGE_RETRIES = 120

_decode_drafts = msgspec.json.Decoder(list[CandidateDraft]).decode
_encode = msgspec.json.encode


def conninfo(database_url: str) -> str:
    """The libpq form of a database URL (SQLAlchemy's ``postgresql+psycopg://`` is not one)."""
    url = sa.make_url(database_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def item_lock(options: BatchOptions, request: str, context: str | None) -> str:
    """Items that could have one cache key have one lock: the same normalised text and options.

    (The cache key also names the mission detected and the engine; identical text and options
    give the same of both, so no two items with one key ever have two locks.)"""
    fields = [normalised(request), normalised(context), options.candidates, options.key_results, options.mission]
    return "realise-item-" + hashlib.sha256(_encode(fields)).hexdigest()[:32]


class JobQueue:
    """Defers jobs in the store's own transaction: a batch and its jobs are stored together or not at all."""

    def __init__(self, database_url: str) -> None:
        # Never opened: every defer runs on the connection it is given (the store's, mid-transaction).
        self.app = procrastinate.App(connector=SyncPsycopgConnector(conninfo=conninfo(database_url)))

    @staticmethod
    def _driver(connection: sa.Connection) -> Any:
        return connection.connection.driver_connection

    def dispatch(self, connection: sa.Connection, seq: int) -> None:
        """Queue the job that starts a batch's run (a new batch, or a retried one)."""
        self.app.configure_task(DISPATCH_TASK, queue=QUEUE, connection=self._driver(connection)).defer(seq=seq)

    def items(self, connection: sa.Connection, seq: int, options: BatchOptions, items: list[PendingItem]) -> None:
        jobs = [
            Job(
                queue=QUEUE,
                lock=item_lock(options, item.request, item.context),
                queueing_lock=None,
                task_name=ITEM_TASK,
                task_kwargs={"seq": seq, "position": item.position},
            )  # fmt: skip
            for item in items
        ]
        self.app.job_manager.batch_defer_jobs(jobs=jobs, connection=self._driver(connection))


def _retry_in(seconds: float) -> RetryDecision:
    return RetryDecision(retry_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds))


class _ItemRetry(BaseRetryStrategy):
    """Retry a transient model failure after a pause that grows each attempt and honours
    Retry-After, and a storage failure every few seconds; nothing else."""

    def __init__(self, *, retry_delay: float) -> None:
        self.retry_delay = retry_delay

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, StorageUnavailable):
            return _retry_in(STORAGE_PAUSE_SECONDS) if job.attempts < STORAGE_RETRIES else None
        if not isinstance(exception, TRANSIENT):
            return None
        retry_after = getattr(exception, "retry_after", None) or 0.0
        wait = min(max(retry_after, self.retry_delay * 2**job.attempts), MAX_PASS_DELAY)
        return _retry_in(wait)


class ItemWorker:
    """What a ``realise worker`` process does with the jobs it takes."""

    def __init__(
        self,
        store: BatchStore,
        queue: JobQueue,
        pipeline: RewritePipeline,
        limit: GlobalModelLimit,
        *,
        max_attempts: int = 3,
        retry_delay: float = 2.0,
    ) -> None:
        self.store = store
        self.queue = queue
        self.pipeline = pipeline
        self.limit = limit
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self._lane = JudgingLane()
        self._computing: dict[int, set[asyncio.Task[Any]]] = {}  # batch seq → its model calls here
        if isinstance(pipeline.engine, OpenAIEngine):
            pipeline.engine.rate_limit_listeners.append(limit.rate_limited)

    # --- dispatch --------------------------------------------------------------------------------

    def dispatch(self, seq: int) -> None:
        """Start a queued batch's run: mark it running and queue its pending items, in one transaction."""
        try:
            started = self.store.start_queued_run(
                seq, lambda db, batch, page: self.queue.items(db, seq, batch.options, page)
            )
        except BatchNotFound:
            return
        if started is not None:
            log.info("batch_started", batch=started.id, total=started.total, pending=started.pending, distributed=True)
            self._settle(seq)  # nothing was pending: it is done now

    # --- one item --------------------------------------------------------------------------------

    async def rewrite_item(self, job: Job, seq: int, position: int) -> None:
        found = self.store.running_item(seq, position)
        if found is None:
            return  # it has its result or failed already, or its batch is not running (cancelled, ended, re-queued)
        options, item = found
        spec = options.spec_for(item.request, item.context)
        mission = RewritePipeline.resolve_mission(spec)
        key = cache_key(spec, mission, self.pipeline.engine.cache_identity(mission))
        generation = self.store.cached_generation(key)
        if generation is not None:
            assessment, candidates, questions, notice = self.pipeline.conclude(
                spec, mission, _decode_drafts(generation)
            )
            summary = _encode(summarise(assessment, candidates, questions, notice))
            self.store.complete(seq, position, summary, tokens=0, cached=True)
            self._settle(seq, options)
            return
        slot = await self.limit.take()
        held = True

        def call_ended(succeeded: bool = False) -> None:
            nonlocal held
            if held:
                held = False
                self.limit.give_back(slot, succeeded=succeeded)

        call = asyncio.ensure_future(compute(self.pipeline, spec, lambda: call_ended(True), self._lane))
        running = self._computing.setdefault(seq, set())
        running.add(call)
        try:
            computed = await call
        except asyncio.CancelledError:
            if call.cancelled() and not _current_task_cancelling():
                return  # its batch was cancelled (see watch_cancellations): the item stays pending
            raise
        except TRANSIENT as exc:
            if job.attempts + 1 >= self.max_attempts:
                self.store.fail(seq, position, exc.message)
                self._settle(seq, options)
                return
            self.store.defer(seq, position, exc.message)
            raise  # the queue retries it (_ItemRetry)
        except UpstreamError as exc:
            self.store.fail(seq, position, exc.message)
            self._settle(seq, options)
            return
        except StorageUnavailable:
            raise
        except Exception as exc:
            log.exception("batch_item_crashed", seq=seq, position=position)
            self.store.fail(seq, position, f"internal error ({type(exc).__name__}); it has been logged")
            self._settle(seq, options)
            return
        finally:
            call_ended()
            running.discard(call)
            if not running:
                self._computing.pop(seq, None)
        self.store.complete(
            seq, position, computed.summary, tokens=computed.tokens, cached=False,
            cache_entry=(key, computed.drafts) if computed.reusable else None,
        )  # fmt: skip
        self._settle(seq, options)

    def _settle(self, seq: int, options: BatchOptions | None = None) -> None:
        """End the batch once nothing is pending, or once this run has spent its token budget."""
        if self.store.finish_if_settled(seq):
            batch = self.store.by_seq(seq)
            log.info("batch_finished", batch=batch.id, status=batch.status, done=batch.done, failed=batch.failed,
                     cached=batch.cached, tokens=batch.tokens, distributed=True)  # fmt: skip
            return
        if options is not None and options.token_budget is not None:
            batch = self.store.by_seq(seq)
            if batch.run_tokens >= options.token_budget:
                self.store.finish(
                    seq, "failed",
                    f"stopped: this run used {batch.run_tokens:,} tokens of its budget of {options.token_budget:,}; "
                    "retry the batch to continue with a fresh budget",
                )  # fmt: skip

    # --- upkeep ----------------------------------------------------------------------------------

    async def watch_cancellations(self) -> None:
        """Stop the calls in flight here of batches cancelled (or stopped) meanwhile, by any API process."""
        while True:
            await asyncio.sleep(CANCEL_POLL_SECONDS)
            if not self._computing:
                continue
            try:
                stopped = self.store.not_running(list(self._computing))
            except StorageUnavailable:
                continue
            for seq in stopped:
                for call in self._computing.get(seq, ()):
                    call.cancel()


def _current_task_cancelling() -> bool:
    task = asyncio.current_task()
    return bool(task is not None and task.cancelling())


def worker_app(database_url: str, worker: ItemWorker) -> procrastinate.App:
    """The queue app a ``realise worker`` runs: the two tasks, bound to ``worker``."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url)))

    @app.task(name=DISPATCH_TASK, queue=QUEUE, retry=_ItemRetry(retry_delay=worker.retry_delay))
    async def dispatch_batch(seq: int) -> None:
        worker.dispatch(seq)

    @app.task(name=ITEM_TASK, queue=QUEUE, pass_context=True, retry=_ItemRetry(retry_delay=worker.retry_delay))
    async def rewrite_item(context: procrastinate.JobContext, seq: int, position: int) -> None:
        assert context.job is not None
        await worker.rewrite_item(context.job, seq, position)

    return app


async def requeue_stalled_jobs(app: procrastinate.App, stalled_seconds: float) -> None:
    """Queue again the jobs of workers that stopped sending heartbeats (killed, or cut off)."""
    while True:
        await asyncio.sleep(stalled_seconds / 3)
        try:
            stalled = list(await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=stalled_seconds))
            for job in stalled:
                assert job.id is not None
                await app.job_manager.retry_job(job)
            if stalled:
                log.warning("batch_jobs_requeued", jobs=len(stalled), reason="their worker stopped sending heartbeats")
        except Exception as exc:  # the database is unreachable for now: look again next time
            log.warning("stalled_job_check_failed", error=repr(exc))


async def run_worker(
    database_url: str,
    worker: ItemWorker,
    *,
    concurrency: int,
    stalled_seconds: float = STALLED_SECONDS,
    install_signal_handlers: bool = True,
) -> None:
    """Take jobs until stopped (SIGINT/SIGTERM: stop taking jobs, finish those in progress, exit)."""
    app = worker_app(database_url, worker)
    await worker.limit.open()
    upkeep = [
        asyncio.create_task(worker.watch_cancellations(), name="cancellations"),
        asyncio.create_task(requeue_stalled_jobs(app, stalled_seconds), name="stalled jobs"),
    ]
    try:
        async with app.open_async():
            log.info(
                "batch_worker_ready", concurrency=concurrency, queue=QUEUE, database=worker.store.database.description
            )
            await app.run_worker_async(
                queues=[QUEUE], concurrency=concurrency, name=f"realise-{socket.gethostname()}",
                update_heartbeat_interval=stalled_seconds / 3, stalled_worker_timeout=stalled_seconds,
                install_signal_handlers=install_signal_handlers, delete_jobs="successful",
            )  # fmt: skip
    finally:
        for task in upkeep:
            task.cancel()
        await asyncio.gather(*upkeep, return_exceptions=True)
        await worker.limit.close()


class QueuedBatches(BatchRuns):
    """The API's side in the distributed mode: it stores batches (with their jobs) and runs nothing.

    It answers what the controllers and the CLI ask of a runner: submit (nothing to do: the
    job was queued with the batch), cancel (the workers notice), and run (wait for the
    workers to finish it, for ``realise batch`` without ``--url``)."""

    POLL_SECONDS = 0.5

    def __init__(self, store: BatchStore, *, stalled_seconds: float = STALLED_SECONDS) -> None:
        self.store = store
        self.stalled_seconds = stalled_seconds

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def submit(self, batch_id: str) -> None:
        pass

    def claim(self) -> bool:
        return True  # the workers run every batch: storing one here is always right

    def holder(self) -> str:
        return f"the workers of {self.store.database.description} run its batches"

    async def cancel(self, batch_id: str, *, owner: str | None = None) -> Batch:
        self.store.cancel(batch_id, owner=owner)
        return self.store.get(batch_id)

    async def run(self, batch_id: str) -> Batch:
        while (batch := self.store.get(batch_id)).status in ("queued", "running"):
            await asyncio.sleep(self.POLL_SECONDS)
        return batch

    def live_workers(self) -> int:
        """Workers that sent a heartbeat within ``stalled_seconds``."""
        return self.store.live_workers(self.stalled_seconds)
