"""Runs batches: bounded, adaptive concurrency; nothing lost, nothing paid for twice.

A batch's life: ``queued`` → ``running`` → ``done`` (every item done or failed), ``failed``
(stopped as a whole: its token budget ran out), or ``cancelled``. A retry puts an ended batch
back to ``queued``. An item's: ``pending`` → ``done`` | ``failed``.

* **Resume.** Only pending items are ever dispatched, and an item becomes done in the same
  transaction that stores its result; so after a crash or a stop, running the batch again
  sends the model exactly the items whose answers were never stored.
* **Passes.** A pass walks the pending items in input order, a page at a time (memory stays
  flat in the batch size). A transient model failure (rate limit, outage, timeout) leaves the
  item pending for the next pass, after a pause that grows each pass and honours the longest
  Retry-After seen; after ``max_attempts`` the item fails with its last error. Other failures
  fail the item at once. No failure stops the batch.
* **Nothing paid twice.** Each item has a cache key (normalised request and context, options,
  mission, and the engine's own identity: provider, model, prompt version). A stored
  generation for the key is reused; an identical item already being computed is waited for
  instead of computed again.
* **Concurrency** is an AIMD limit on model calls in flight, shared by every batch: +1 per
  window of successful model calls, halved when the provider answers 429 (at most once per
  Retry-After period). An item takes a slot just before it calls the model (cached items, and
  items waiting for an identical one, take none), and gives it back as soon as the model has
  answered, not after its answer is judged and stored: judging one item must not keep the
  provider idle. Starts are spaced by a :class:`~rewriter.batch.slots.Pacer`, answers are
  judged one per turn of the event loop (:class:`~rewriter.batch.slots.JudgingLane`), and items
  in progress, judging included, are bounded by twice the ceiling, so a slow judge cannot pile
  up answers.
* **One runner per database file**: the process holding its lock
  (:class:`~rewriter.batch.lock.RunnerLock`) runs its batches, including those other processes
  store, retry or cancel there (it looks every second); the others stand by.
* **Worker processes** (``REALISE_BATCH_WORKERS`` > 0, a :class:`~rewriter.batch.worker.WorkerPool`):
  the model call and the judging of its answer, the CPU-heavy part of an item, run in N child
  processes (see ``rewriter/batch/worker.py``). Everything above stays here, in one process with
  one writer: paging, the limit (their 429s are forwarded to it), duplicates, the cache, the
  store, budgets, passes. A worker that dies fails its items in flight as transient errors (they
  stay pending for the next pass) and is restarted; stop() shuts the workers down. With 0 (the
  default) items are computed in this process, on this event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import msgspec
import structlog

from rewriter.batch.errors import BatchConflict
from rewriter.batch.export import summarise
from rewriter.batch.lock import RunnerLock
from rewriter.batch.model import Batch, BatchRuns, PendingItem
from rewriter.batch.slots import AdaptiveLimit, FairSlots, JudgingLane, Pacer
from rewriter.batch.store import BatchStore
from rewriter.batch.worker import Computed, WorkerPool, compute
from rewriter.domain import CandidateDraft, Mission, RewriteSpec
from rewriter.errors import StorageUnavailable, UpstreamError, UpstreamTimeout, UpstreamUnavailable
from rewriter.llm import OpenAIEngine
from rewriter.pipeline import ModelCallRecord, RewritePipeline

log = structlog.get_logger("realise.batch")

PAGE_SIZE = 256
STORE_POLL_SECONDS = 1.0  # how often a runner looks at what other processes did to the file
MAX_PASS_DELAY = 60.0
# How long batches wait after their database could not be written before they try again.
STORAGE_PAUSE_SECONDS = 5.0
TRANSIENT = (UpstreamUnavailable, UpstreamTimeout)
_encode = msgspec.json.encode
_decode_drafts = msgspec.json.Decoder(list[CandidateDraft]).decode


def normalised(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def cache_key(spec: RewriteSpec, mission: Mission, engine_identity: str) -> str:
    """Same key, same generation: normalised text (Unicode form, whitespace), options, mission, engine.

    Case is kept: it carries meaning (acronyms, product names) that a model's answer reflects.
    """
    fields = [
        normalised(spec.request),
        normalised(spec.context),
        spec.candidates,
        spec.key_results,
        mission,
        engine_identity,
    ]
    return hashlib.sha256(_encode(fields)).hexdigest()


class _ModelSlot:
    """An item's place among the model calls in flight: taken, after the pacer's spacing, just
    before its call; given back as soon as the model has answered, or when the item ends."""

    def __init__(self, limit: AdaptiveLimit, pacer: Pacer) -> None:
        self.limit = limit
        self.pacer = pacer
        self.held = False
        self._call_started = 0.0

    async def take(self) -> None:
        await self.limit.acquire()
        self.held = True
        await self.pacer.wait(self.limit.current)
        self._call_started = time.monotonic()

    def call_ended(self) -> None:
        self.pacer.observe(time.monotonic() - self._call_started)
        self.give_back()

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.limit.release()


@dataclass
class _Run:
    """One batch's run in this process."""

    batch: Batch
    tokens: int  # spent in this run: what the token budget limits
    retry_after: float = 0.0  # the longest wait the provider asked for during the current pass
    # Set when an item's result could not be stored: the pass stops dispatching, and the run
    # pauses (items stay pending) instead of paying for answers it cannot keep.
    storage_fault: StorageUnavailable | None = None

    @property
    def budget_exhausted(self) -> bool:
        budget = self.batch.options.token_budget
        return budget is not None and self.tokens >= budget


class BatchRunner(BatchRuns):
    def __init__(
        self,
        store: BatchStore,
        pipeline: RewritePipeline,
        *,
        concurrency: int,
        max_attempts: int = 3,
        retry_delay: float = 2.0,
        workers: WorkerPool | None = None,
    ) -> None:
        """``pipeline`` computes the items, unless ``workers`` do; it still judges cached items
        and names the engine in cache keys, so the workers' pipelines must match it."""
        self.store = store
        self.pipeline = pipeline
        self.workers = workers
        self.limit = AdaptiveLimit(concurrency)
        self._in_progress = FairSlots(2 * concurrency)
        self._lane = JudgingLane()  # for items computed here (workers have their own)
        self._pacer = Pacer()
        if isinstance(pipeline.engine, OpenAIEngine):
            pipeline.engine.rate_limit_listeners.append(self.limit.rate_limited)
        if workers is not None:
            workers.rate_limit_listeners.append(self.limit.rate_limited)
            workers.call_observers.append(self._observe_model_call)
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay  # seconds before the second pass; doubles each pass
        self._running: dict[str, asyncio.Task[None]] = {}
        # Cache keys being computed right now; identical items wait for these instead of paying again.
        self._leaders: dict[str, asyncio.Future[None]] = {}
        self._accepting = False
        assert store.path is not None, (
            "a runner runs the batches of a SQLite file; with PostgreSQL, workers do (rewriter/batch/jobs.py)"
        )
        self.lock = RunnerLock(store.path)
        self._supervisor: asyncio.Task[None] | None = None
        self._paused_until = 0.0  # monotonic time before which no run starts (the storage failed)

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start accepting batches and resume every unfinished one (app start-up).

        Several processes may share the database file (servers, ``realise batch``); one of them
        runs its batches. That one also picks up, within a second or so, what the others store,
        cancel or retry there. The others stand by and take over when it stops.
        """
        self._accepting = True
        if self.lock.acquire():
            self._follow_store()
        else:
            log.warning(
                "batch_runner_standby", holder=self.lock.holder(), database=str(self.store.path),
                detail="another process runs this database's batches; this one takes over when it stops",
            )  # fmt: skip
        self._supervisor = asyncio.create_task(self._supervise(), name="batch runner supervisor")

    def claim(self) -> bool:
        """Become the process that runs this database's batches, if no other is (the CLI's check)."""
        return self.lock.acquire()

    def holder(self) -> str:
        return f"{self.lock.holder()} is running the batches of {self.store.path}"

    async def _supervise(self) -> None:
        while True:
            await asyncio.sleep(STORE_POLL_SECONDS)
            try:
                if self.lock.held:
                    self._follow_store()
                elif self.lock.acquire():
                    log.info("batch_runner_took_over", database=str(self.store.path))
                    self._follow_store()
            except StorageUnavailable as exc:  # the store cannot be read now: look again next time
                log.warning("batch_store_unavailable", error=exc.message)

    def _follow_store(self) -> None:
        """Run every unfinished batch not running here yet (stored, retried or interrupted, by
        this process or another), and stop those cancelled meanwhile (by another process)."""
        for batch_id in self.store.unfinished():
            self.submit(batch_id)
        for batch_id, task in list(self._running.items()):
            if self.store.get(batch_id).status == "cancelled":
                task.cancel()

    def submit(self, batch_id: str) -> None:
        """Run a stored batch in the background. Before start(), or while another process runs
        this database's batches, it just waits in the store."""
        paused = time.monotonic() < self._paused_until  # the supervisor submits it once the pause ends
        if self._accepting and self.lock.held and batch_id not in self._running and not paused:
            self._running[batch_id] = asyncio.create_task(self._run_in_background(batch_id), name=f"batch {batch_id}")

    async def cancel(self, batch_id: str, *, owner: str | None = None) -> Batch:
        """Cancel a batch (only ``owner``'s, when given) and stop its calls in flight here."""
        self.store.cancel(batch_id, owner=owner)
        task = self._running.get(batch_id)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return self.store.get(batch_id)

    async def stop(self) -> None:
        """Stop every run (app shutdown), then the workers. In-flight items stay pending and run
        again on the next start."""
        self._accepting = False
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
            self._supervisor = None
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.workers is not None:
            await self.workers.close()
        self.lock.release()  # nothing of ours runs any more: another process may take over

    def _observe_model_call(self, record: ModelCallRecord) -> None:
        """A worker's model call, reported to this pipeline's observers (the metrics) as if made here."""
        for observer in self.pipeline.observers:
            observer(record)

    async def _run_in_background(self, batch_id: str) -> None:
        try:
            await self.run(batch_id)
        except asyncio.CancelledError:
            raise
        except StorageUnavailable as exc:
            # Not the batch's fault and not for good: it stays unfinished (its items pending, none
            # failed), and every batch waits a little before the supervisor resumes it.
            self._paused_until = time.monotonic() + STORAGE_PAUSE_SECONDS
            log.warning(
                "batch_paused_storage_unavailable", batch=batch_id, error=exc.message, resume_in=STORAGE_PAUSE_SECONDS
            )
        except Exception as exc:  # a bug, not an item's failure: end the batch rather than leave it "running"
            log.exception("batch_crashed", batch=batch_id)
            self.store.finish(
                self.store.get(batch_id).seq, "failed", f"internal error ({type(exc).__name__}); it has been logged"
            )
        finally:
            # No await between the batch's last write and this, so a retry can never find the
            # batch ended but still listed as running here.
            self._running.pop(batch_id, None)

    # --- a run -------------------------------------------------------------------------------

    async def run(self, batch_id: str) -> Batch:
        """Run the batch to its end in the calling task (the CLI's way); returns the final record."""
        if not self.lock.acquire():
            raise BatchConflict(
                f"{self.lock.holder()} is running the batches of {self.store.path}; "
                "send this batch to that server (realise batch --url), or stop it first"
            )
        batch = self.store.start_run(batch_id)
        if batch.status != "running":  # cancelled or ended meanwhile, e.g. by another process sharing the file
            return batch
        run = _Run(batch, tokens=batch.run_tokens)
        if self.workers is not None:
            await self.workers.start()  # started on the first run; restarts any that died since
        started = time.monotonic()
        log.info(
            "batch_started", batch=batch.id, total=batch.total, pending=batch.pending, concurrency=self.limit.current
        )
        # Ends: each pass either settles every pending item or counts one more attempt against
        # it, and an item fails once it has had max_attempts.
        passes = 0
        while True:
            await self._pass(run)
            passes += 1
            if run.budget_exhausted:
                self.store.finish(
                    batch.seq,
                    "failed",
                    f"stopped: this run used {run.tokens:,} tokens of its budget of {batch.options.token_budget:,}; "
                    "retry the batch to continue with a fresh budget",
                )
                break
            if not self.store.pending_items(batch.seq, after=-1, limit=1):
                self.store.finish(batch.seq, "done")
                break
            await asyncio.sleep(min(max(run.retry_after, self.retry_delay * 2 ** (passes - 1)), MAX_PASS_DELAY))
            run.retry_after = 0.0
        final = self.store.get(batch_id)
        log.info(
            "batch_finished", batch=final.id, status=final.status, done=final.done, failed=final.failed,
            cached=final.cached, tokens=final.tokens, seconds=round(time.monotonic() - started, 3),
        )  # fmt: skip
        return final

    async def _pass(self, run: _Run) -> None:
        """Dispatch every pending item once, in input order, as fast as the limit allows."""
        in_flight: set[asyncio.Task[None]] = set()
        after = -1
        try:
            while not run.budget_exhausted and run.storage_fault is None:
                page = self.store.pending_items(run.batch.seq, after=after, limit=PAGE_SIZE)
                if not page:
                    break
                for item in page:
                    await self._in_progress.acquire()
                    # Checked with the place in hand: the item that freed it may have used up the budget.
                    if run.budget_exhausted or run.storage_fault is not None:
                        self._in_progress.release()
                        break
                    task = asyncio.create_task(self._process(run, item))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                after = page[-1].position
            await asyncio.gather(*in_flight)
            if run.storage_fault is not None:
                raise run.storage_fault
        finally:
            # Cancelled (cancel, shutdown): stop the model calls too; their items stay pending.
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _process(self, run: _Run, item: PendingItem) -> None:
        """Do one item and record how it ended; never raises (but for cancellation)."""
        seq = run.batch.seq
        slot = _ModelSlot(self.limit, self._pacer)
        try:
            await self._rewrite(run, item, slot)
        except TRANSIENT as exc:
            run.retry_after = max(run.retry_after, getattr(exc, "retry_after", None) or 0.0)
            if item.attempts + 1 >= self.max_attempts:
                self.store.fail(seq, item.position, exc.message)
            else:
                self.store.defer(seq, item.position, exc.message)
        except UpstreamError as exc:
            self.store.fail(seq, item.position, exc.message)
        except StorageUnavailable as exc:
            # Its result (if any) was not stored, so it is still pending: nothing is recorded
            # against it, and the run stops dispatching (see _pass).
            run.storage_fault = exc
        except Exception as exc:
            log.exception("batch_item_crashed", batch=run.batch.id, position=item.position)
            # A crash in a worker is named by the class it raised there (logged there too).
            name = getattr(exc, "type_name", type(exc).__name__)
            self.store.fail(seq, item.position, f"internal error ({name}); it has been logged")
        finally:
            slot.give_back()
            self._in_progress.release()

    async def _rewrite(self, run: _Run, item: PendingItem, slot: _ModelSlot) -> None:
        spec = run.batch.options.spec_for(item.request, item.context)
        mission = RewritePipeline.resolve_mission(spec)
        key = cache_key(spec, mission, self.pipeline.engine.cache_identity(mission))
        while (leader := self._leaders.get(key)) is not None:
            await asyncio.shield(leader)  # shielded: our cancellation must not cancel the leader's signal
        generation = self.store.cached_generation(key)
        if generation is not None:
            assessment, candidates, questions, notice = self.pipeline.conclude(
                spec, mission, _decode_drafts(generation)
            )
            self.store.complete(
                run.batch.seq,
                item.position,
                _encode(summarise(assessment, candidates, questions, notice)),
                tokens=0,
                cached=True,
            )
            return
        # A leader from here on, before any await: an identical item must wait for this one.
        leader = asyncio.get_running_loop().create_future()
        self._leaders[key] = leader
        try:
            await slot.take()
            # Checked with the slot in hand: the call that freed it may have used up the budget.
            if run.budget_exhausted:
                return  # stays pending; the run ends as failed
            computed = await self._compute(spec, mission, slot.call_ended)
            self.store.complete(
                run.batch.seq,
                item.position,
                computed.summary,
                tokens=computed.tokens,
                cached=False,
                cache_entry=(key, computed.drafts) if computed.reusable else None,
            )
        finally:
            # Written (or failed) before waking the followers, so they find the cache filled.
            del self._leaders[key]
            leader.set_result(None)
        run.tokens += computed.tokens
        self.limit.succeeded()

    async def _compute(self, spec: RewriteSpec, mission: Mission, model_call_ended: Callable[[], None]) -> Computed:
        """The model call and the judging of its answer: in a worker process, or here."""
        if self.workers is not None:
            # The mission is resolved already (it is part of the key): the worker need not detect it again.
            return await self.workers.rewrite(msgspec.structs.replace(spec, mission=mission), model_call_ended)
        return await compute(self.pipeline, spec, model_call_ended, self._lane)
