"""Batch worker processes: the per-item model call and judging, off the runner's event loop.

The runner is CPU-bound long before the model is its limit (the SDK call, judging and ranking
the candidates: several ms per item on one core). With ``REALISE_BATCH_WORKERS=N`` it hands
that part of each item to N long-lived child processes and keeps everything that must have a
single writer: the store, the concurrency limit, duplicate detection, the cache, the budget.

* **A worker** is ``python -m rewriter.batch.worker FACTORY``: its own event loop and its own
  pipeline (so its own HTTP connection pool and circuit breaker), built by ``FACTORY``
  (a module-level :data:`PipelineFactory` the pool is given as a function and names to the
  child as ``module:function``) from the config the parent sends first. The child imports
  the project as installed: nothing is added to its path.
  Secrets travel in the environment, never in argv. Many items are in flight per worker.
* **Frames** on the worker's stdin and stdout: a 4-byte big-endian length, then a msgpack
  message (below). Parent → worker: :class:`Configure` (first), :class:`Rewrite`,
  :class:`Cancel`; end of input means stop. Worker → parent: :class:`Ready`, then for each
  item :class:`CallEnded` as soon as its model call has answered (the parent frees the item's
  concurrency slot then), and :class:`Done` (the stored summary, the reusable drafts, the
  tokens) or :class:`Failed` (the error class, so the parent raises what the in-process
  pipeline would have raised); and events as they happen: :class:`RateLimited` (a 429, for
  the parent's AIMD limit) and :class:`ModelCall` (for the parent's metrics). The worker's
  stdout is reserved for frames; anything printed goes to stderr, which is the parent's.
* **Dispatch** goes to the worker with the fewest items in flight. The global limit stays in
  the parent, so N workers never make more calls than one runner would.
* **A worker that dies** (killed, crashed) loses nothing: its items in flight fail as
  :class:`WorkerLost`, a transient error, so they stay pending for the runner's next pass;
  the worker is restarted (after a growing pause if it keeps dying at once).
* **Stop**: the parent closes each worker's stdin; the worker cancels what it has in flight,
  closes its client and exits; one that does not within ``stop_timeout`` is killed. A worker
  also stops when its parent dies (its stdin reaches end of file), and it ignores SIGINT,
  which a terminal sends to the whole process group: the parent decides when it stops.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import gc
import importlib
import itertools
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeAlias

import msgspec
import structlog

from rewriter.batch.export import summarise
from rewriter.batch.slots import JudgingLane
from rewriter.domain import CandidateDraft, RewriteResult, RewriteSpec
from rewriter.errors import UpstreamBadOutput, UpstreamError, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable
from rewriter.pipeline import ModelCallRecord, RewritePipeline

log = structlog.get_logger("realise.batch.worker")

_encode_json = msgspec.json.encode
_HEADER = 4

# A worker's pipeline and how to close it, from the config bytes the parent sent.
PipelineFactory: TypeAlias = Callable[[bytes], tuple[RewritePipeline, Callable[[], Awaitable[None]]]]


# --- one item's computation (in-process or in a worker) --------------------------------------------


class Computed(msgspec.Struct, array_like=True):
    """An item's answer as the runner stores it."""

    summary: bytes  # the encoded ItemResult: the item's stored result
    drafts: bytes  # the encoded list[CandidateDraft]: what the cache keeps for later items
    tokens: int
    reusable: bool  # False when the offline engine answered because the model failed


async def compute(
    pipeline: RewritePipeline,
    spec: RewriteSpec,
    model_call_ended: Callable[[], None] | None = None,
    lane: JudgingLane | None = None,
) -> Computed:
    """One item: ``model_call_ended`` is called once its model call has answered or failed; the
    judging then waits for its turn in ``lane``."""
    in_lane = False

    async def call_ended() -> None:
        nonlocal in_lane
        if model_call_ended is not None:
            model_call_ended()
        if lane is not None:
            await lane.acquire()
            in_lane = True

    try:
        return _computed(await pipeline.rewrite(spec, model_call_ended=call_ended))
    finally:
        if in_lane:
            lane.release()  # type: ignore[union-attr]  # in_lane implies a lane


def _computed(result: RewriteResult) -> Computed:
    drafts = [
        CandidateDraft(
            objective=c.objective,
            problem_statement=c.problem_statement,
            hypothesis=c.hypothesis,
            key_results=c.key_results,
        )
        for c in result.candidates
    ]
    return Computed(
        summary=_encode_json(summarise(result.assessment, result.candidates, result.questions, result.notice)),
        drafts=_encode_json(drafts),
        tokens=result.usage.total_tokens,
        # An answer the offline engine gave because the model failed is this item's result,
        # but not what the model would say: it must not be served to later items. An answer
        # with no candidate keeps its reason (the notice) only in its own row, so it is not
        # cached either.
        reusable=result.engine.fallback_reason is None and bool(result.candidates),
    )


# --- the protocol ------------------------------------------------------------------------------------


class Configure(msgspec.Struct, tag="configure", array_like=True):
    config: bytes  # for the factory (the parent's settings, secrets left out)


class Rewrite(msgspec.Struct, tag="rewrite", array_like=True):
    id: int
    spec: RewriteSpec


class Cancel(msgspec.Struct, tag="cancel", array_like=True):
    id: int


class Ready(msgspec.Struct, tag="ready", array_like=True):
    pid: int


class Done(msgspec.Struct, tag="done", array_like=True):
    id: int
    result: Computed
    calls: list[ModelCallRecord] = []  # the item's model calls, for the parent's metrics


class Failed(msgspec.Struct, tag="failed", array_like=True):
    id: int
    upstream: bool  # an UpstreamError (re-raised as one), else a crash (an internal error)
    error: str  # the class name
    message: str
    attempts: int = 0
    retry_after: float | None = None
    calls: list[ModelCallRecord] = []


class CallEnded(msgspec.Struct, tag="call_ended", array_like=True):
    """The item's model call has answered or failed; its judging goes on (the parent frees the
    item's concurrency slot: the limit bounds model calls, not judging)."""

    id: int


class RateLimited(msgspec.Struct, tag="rate_limited", array_like=True):
    retry_after: float | None


class ModelCall(msgspec.Struct, tag="model_call", array_like=True):
    """A model call made outside any item (items carry theirs in their reply: one frame fewer)."""

    record: ModelCallRecord


ToWorker: TypeAlias = Configure | Rewrite | Cancel
FromWorker: TypeAlias = Ready | CallEnded | Done | Failed | RateLimited | ModelCall

_encoder = msgspec.msgpack.Encoder()
_decode_to_worker = msgspec.msgpack.Decoder(ToWorker).decode
_decode_from_worker = msgspec.msgpack.Decoder(FromWorker).decode

_UPSTREAM: dict[str, type[UpstreamError]] = {
    cls.__name__: cls
    for cls in (UpstreamUnavailable, UpstreamTimeout, UpstreamBadOutput, UpstreamRejected, UpstreamError)
}


def frame(message: ToWorker | FromWorker) -> bytes:
    body = _encoder.encode(message)
    return len(body).to_bytes(_HEADER, "big") + body


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """The next frame's body, or None at a clean end of the stream."""
    try:
        header = await reader.readexactly(_HEADER)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise
        return None
    return await reader.readexactly(int.from_bytes(header, "big"))


def failure_of(item: int, exc: BaseException) -> Failed:
    """How a worker reports an item's exception."""
    if isinstance(exc, UpstreamError):
        # The nearest class the parent knows (a new subclass is still, say, UpstreamUnavailable).
        name = next(cls.__name__ for cls in type(exc).__mro__ if cls.__name__ in _UPSTREAM)
        return Failed(item, True, name, exc.message, exc.attempts, getattr(exc, "retry_after", None))
    return Failed(item, False, type(exc).__name__, str(exc))


def exception_of(failed: Failed) -> Exception:
    """What the parent raises for a worker's :class:`Failed`: what the pipeline raised there."""
    if not failed.upstream:
        return WorkerItemCrashed(failed.error, failed.message)
    cls = _UPSTREAM.get(failed.error, UpstreamError)
    if cls is UpstreamUnavailable:
        return UpstreamUnavailable(failed.message, attempts=failed.attempts, retry_after=failed.retry_after)
    return cls(failed.message, attempts=failed.attempts)


class WorkerItemCrashed(Exception):
    """An item raised something unexpected in a worker (logged there, with its traceback)."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name


class WorkerLost(UpstreamUnavailable):
    """The worker computing the item exited: transient, so the item waits for the next pass."""


class WorkerStartError(RuntimeError):
    """No worker process could be started."""


# --- the parent's side ---------------------------------------------------------------------------------


def _exit_reason(returncode: int | None) -> str:
    if returncode is None:
        return "unknown status"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


class _Worker:
    def __init__(self, slot: int, process: asyncio.subprocess.Process) -> None:
        self.slot = slot
        self.process = process
        self.pending: dict[int, asyncio.Future[Computed]] = {}
        self.call_ended: dict[int, Callable[[], None]] = {}  # items whose model call has not ended yet
        self.alive = True
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.started_at = time.monotonic()
        self.reader: asyncio.Task[None] | None = None

    def send(self, message: ToWorker) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        # Never raises for a dead worker: the pipe transport notes the error, and the reader
        # fails this worker's pending items once it sees the end of its output.
        stdin.write(frame(message))


class WorkerPool:
    """N worker processes, started on first use, restarted when they die, stopped by close()."""

    QUICK_DEATH = 5.0  # seconds: a worker that dies sooner is restarted after a growing pause
    MAX_RESTART_PAUSE = 5.0

    def __init__(
        self,
        size: int,
        *,
        factory: PipelineFactory,
        config: bytes = b"",
        env: Mapping[str, str | None] | None = None,
        start_timeout: float = 60.0,
        stop_timeout: float = 5.0,
    ) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = size
        self.factory = import_path(factory)
        self.config = config
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._env = self._child_env(env or {})
        self.rate_limit_listeners: list[Callable[[float | None], None]] = []
        self.call_observers: list[Callable[[ModelCallRecord], None]] = []
        self._workers: list[_Worker | None] = [None] * size
        self._starting: dict[int, asyncio.Task[_Worker]] = {}
        self._quick_deaths = [0] * size
        self._last_start_error: BaseException | None = None
        self._ids = itertools.count()
        self._closing = False

    @staticmethod
    def _child_env(overrides: Mapping[str, str | None]) -> dict[str, str]:
        env = dict(os.environ)
        for name, value in overrides.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    @property
    def pids(self) -> list[int]:
        """The live workers' process ids."""
        return [w.process.pid for w in self._workers if w is not None and w.alive]

    @property
    def in_flight(self) -> int:
        return sum(len(w.pending) for w in self._workers if w is not None)

    async def start(self) -> None:
        """Start every missing worker and wait until they are ready; raises only if none is."""
        self._closing = False
        for slot in range(self.size):
            if self._workers[slot] is None and slot not in self._starting:
                self._start_slot(slot)
        if self._starting:
            # asyncio.wait, not gather: a caller's cancellation must not cancel the starts.
            await asyncio.wait(list(self._starting.values()))
        if not self.pids:
            raise WorkerStartError(f"no batch worker could be started: {self._last_start_error}")

    async def rewrite(self, spec: RewriteSpec, model_call_ended: Callable[[], None] | None = None) -> Computed:
        """One item in the least busy worker; raises what the pipeline raised there.

        ``model_call_ended`` is called when the worker says the item's model call has ended
        (before it judges the answer); not at all if the item ends otherwise first."""
        worker = await self._least_loaded()
        item = next(self._ids)
        future: asyncio.Future[Computed] = asyncio.get_running_loop().create_future()
        worker.pending[item] = future
        if model_call_ended is not None:
            worker.call_ended[item] = model_call_ended
        worker.send(Rewrite(item, spec))
        try:
            return await future
        except asyncio.CancelledError:
            if worker.pending.pop(item, None) is not None and worker.alive:
                worker.send(Cancel(item))
            raise
        finally:
            worker.call_ended.pop(item, None)

    async def close(self) -> None:
        """Stop every worker: end of input, then a kill for any that outstays stop_timeout."""
        self._closing = True
        starting = list(self._starting.values())
        for task in starting:
            task.cancel()
        if starting:
            await asyncio.wait(starting)
        workers = [w for w in self._workers if w is not None]
        self._workers = [None] * self.size
        for worker in workers:
            if worker.process.stdin is not None:
                worker.process.stdin.close()
        for worker in workers:
            await self._reap(worker)

    async def _reap(self, worker: _Worker) -> None:
        try:
            await asyncio.wait_for(worker.process.wait(), self.stop_timeout)
        except TimeoutError:
            log.warning(
                "batch_worker_killed",
                pid=worker.process.pid,
                reason=f"still running {self.stop_timeout:g} s after stop",
            )
            if worker.process.returncode is None:
                worker.process.kill()
            await worker.process.wait()
        finally:
            if worker.reader is not None:
                await asyncio.gather(worker.reader, return_exceptions=True)

    async def _least_loaded(self) -> _Worker:
        while True:
            best: _Worker | None = None
            for worker in self._workers:
                if worker is not None and worker.alive and (best is None or len(worker.pending) < len(best.pending)):
                    best = worker
            if best is not None:
                return best
            await self.start()  # every worker died: wait for the restarts (or do them)

    def _start_slot(self, slot: int) -> None:
        task = asyncio.create_task(self._spawn(slot), name=f"batch worker {slot} start")
        self._starting[slot] = task

        def started(task: asyncio.Task[_Worker]) -> None:
            if self._starting.get(slot) is task:
                del self._starting[slot]
            if not task.cancelled() and (error := task.exception()) is not None:
                self._last_start_error = error
                log.error("batch_worker_start_failed", slot=slot, error=str(error))

        task.add_done_callback(started)

    async def _spawn(self, slot: int) -> _Worker:
        if quick_deaths := self._quick_deaths[slot]:  # it keeps dying at once: don't spin
            await asyncio.sleep(min(0.1 * 2**quick_deaths, self.MAX_RESTART_PAUSE))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rewriter.batch.worker", self.factory,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=None, env=self._env,
        )  # fmt: skip
        worker = _Worker(slot, process)
        worker.reader = asyncio.create_task(self._read(worker), name=f"batch worker {process.pid}")
        try:
            worker.send(Configure(self.config))
            await asyncio.wait_for(asyncio.shield(worker.ready), self.start_timeout)
        except BaseException:
            if process.returncode is None:
                process.kill()
            await process.wait()
            await asyncio.gather(worker.reader, return_exceptions=True)
            raise
        self._workers[slot] = worker
        log.info("batch_worker_started", slot=slot, pid=process.pid)
        return worker

    async def _read(self, worker: _Worker) -> None:
        """Everything a worker says, until its output ends; then fail its pending items."""
        stdout = worker.process.stdout
        assert stdout is not None
        try:
            while (body := await read_frame(stdout)) is not None:
                message = _decode_from_worker(body)
                if isinstance(message, CallEnded):
                    if (ended := worker.call_ended.pop(message.id, None)) is not None:
                        ended()
                elif isinstance(message, (Done, Failed)):
                    self._observe(message.calls)
                    future = worker.pending.pop(message.id, None)
                    if future is not None and not future.done():
                        if isinstance(message, Done):
                            future.set_result(message.result)
                        else:
                            future.set_exception(exception_of(message))
                elif isinstance(message, RateLimited):
                    for listener in self.rate_limit_listeners:
                        listener(message.retry_after)
                elif isinstance(message, ModelCall):
                    self._observe([message.record])
                elif isinstance(message, Ready) and not worker.ready.done():
                    worker.ready.set_result(None)
        except (asyncio.IncompleteReadError, ConnectionError, msgspec.DecodeError) as exc:
            log.error("batch_worker_garbled", pid=worker.process.pid, error=repr(exc))
        finally:
            worker.alive = False
            if worker.process.returncode is None and worker.process.stdin is not None:
                worker.process.stdin.close()  # its output ended or broke: it is done for either way
            await self._gone(worker)

    def _observe(self, records: list[ModelCallRecord]) -> None:
        for record in records:
            for observer in self.call_observers:
                observer(record)

    async def _gone(self, worker: _Worker) -> None:
        try:
            returncode = await asyncio.wait_for(worker.process.wait(), self.stop_timeout)
        except TimeoutError:
            worker.process.kill()
            returncode = await worker.process.wait()
        reason = _exit_reason(returncode)
        if not worker.ready.done():
            worker.ready.set_exception(WorkerStartError(f"the batch worker exited before it was ready ({reason})"))
            worker.ready.exception()  # retrieved here too: nobody may be waiting any more
        pending, worker.pending = worker.pending, {}
        worker.call_ended.clear()
        for future in pending.values():
            if not future.done():
                future.set_exception(WorkerLost(f"the batch worker process running this item exited ({reason})"))
        if self._workers[worker.slot] is not worker:
            return  # being closed, or it never became ready
        self._workers[worker.slot] = None
        if self._closing:
            return
        lived = time.monotonic() - worker.started_at
        self._quick_deaths[worker.slot] = self._quick_deaths[worker.slot] + 1 if lived < self.QUICK_DEATH else 0
        log.warning(
            "batch_worker_died", pid=worker.process.pid, reason=reason, items_in_flight=len(pending), restarting=True
        )
        if worker.slot not in self._starting:
            self._start_slot(worker.slot)


# --- the worker's side ---------------------------------------------------------------------------------


def import_path(factory: PipelineFactory) -> str:
    """``module:function`` for a module-level function, which a worker process can import."""
    path = f"{factory.__module__}:{factory.__qualname__}"
    try:
        importable = _load_factory(path) is factory
    except (ImportError, AttributeError):
        importable = False
    if not importable:
        raise ValueError(f"a worker pipeline factory must be a module-level function, not {path}")
    return path


def _load_factory(path: str) -> PipelineFactory:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


async def serve(factory: PipelineFactory, frames_out: int) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(0, "rb", buffering=0))
    transport, _ = await loop.connect_write_pipe(asyncio.Protocol, os.fdopen(frames_out, "wb", buffering=0))

    def send(message: FromWorker) -> None:
        if not transport.is_closing():
            transport.write(frame(message))  # buffered by the transport: never blocks the loop

    first = await read_frame(reader)
    if first is None:
        return
    configure = _decode_to_worker(first)
    if not isinstance(configure, Configure):
        raise RuntimeError(f"expected a configure frame first, got {type(configure).__name__}")
    pipeline, close = factory(configure.config)
    # The modules, the SDK's models and the pipeline live as long as this process: frozen, full
    # collections stop re-scanning them (unfrozen, each paused the loop for 100-250 ms).
    gc.collect()
    gc.freeze()
    structlog.contextvars.bind_contextvars(batch_worker=os.getpid())
    listeners = getattr(pipeline.engine, "rate_limit_listeners", None)
    if listeners is not None:
        listeners.append(lambda retry_after: send(RateLimited(retry_after)))
    tasks: dict[int, asyncio.Task[None]] = {}
    lane = JudgingLane()
    item_calls: contextvars.ContextVar[list[ModelCallRecord] | None] = contextvars.ContextVar(
        "item_calls", default=None
    )

    def observe(record: ModelCallRecord) -> None:
        # Called in the item's own task (the pipeline notifies before it returns or raises).
        calls = item_calls.get()
        if calls is None:
            send(ModelCall(record))
        else:
            calls.append(record)

    pipeline.observers.append(observe)

    async def run(item: Rewrite) -> None:
        calls: list[ModelCallRecord] = []
        item_calls.set(calls)  # this task's own context
        try:
            computed = await compute(pipeline, item.spec, lambda: send(CallEnded(item.id)), lane)
        except asyncio.CancelledError:
            raise  # the parent dropped it: no answer expected
        except Exception as exc:
            if not isinstance(exc, UpstreamError):
                log.exception("batch_item_crashed_in_worker", item=item.id)
            failed = failure_of(item.id, exc)
            failed.calls = calls
            send(failed)
        else:
            send(Done(item.id, computed, calls))

    def forget(item: int, _: asyncio.Task[None]) -> None:
        tasks.pop(item, None)

    send(Ready(os.getpid()))
    try:
        while (body := await read_frame(reader)) is not None:
            message = _decode_to_worker(body)
            if isinstance(message, Rewrite):
                tasks[message.id] = asyncio.create_task(run(message))
                tasks[message.id].add_done_callback(functools.partial(forget, message.id))
            elif isinstance(message, Cancel) and (running := tasks.get(message.id)) is not None:
                running.cancel()
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        await close()
        transport.close()


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.exit(
            "usage: python -m rewriter.batch.worker MODULE:FACTORY  (started by the batch runner, frames on stdin)"
        )
    # A terminal's Ctrl-C reaches the whole process group; the parent decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Frames get the real stdout; fd 1 becomes stderr so a stray print cannot garble them.
    frames_out = os.dup(1)
    os.dup2(2, 1)
    factory = _load_factory(argv[0])
    try:
        import uvloop  # with uvicorn[standard]; a worker's loop is busy, and uvloop's costs less per callback
    except ImportError:
        asyncio.run(serve(factory, frames_out))
    else:
        uvloop.run(serve(factory, frames_out))
    # Done, cleanly: skip the interpreter's tear-down of the SDK's many modules (most of a stop's time).
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
