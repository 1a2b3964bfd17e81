"""The provider's limit, shared by every batch worker on every machine (PostgreSQL).

One process runs the batches of a SQLite file, and its :class:`~rewriter.batch.slots.AdaptiveLimit`
lives in its memory. Workers on several machines share a PostgreSQL database instead, and the
limit lives there (rewriter/migrations/versions/0004_job_queue.py):

* a model call takes a **slot** (a row of ``model_call_slots``) before it starts and gives it
  back as soon as the model has answered; ``realise_take_model_slot`` grants one only while
  fewer than the current limit are taken, under the limit row's lock, so ten workers never
  make more calls at once than the limit allows;
* the limit adapts as the in-memory one does (AIMD): each successful call adds ``1/limit``, up
  to the ceiling (``REALISE_BATCH_CONCURRENCY``); a 429 anywhere halves it for everyone, at most
  once per Retry-After period (``hold_until``, in the database's clock, so machines whose clocks
  differ agree);
* a slot is held by the database session of the worker that took it: when a worker dies, its
  session ends and its slots are freed by the next taker that finds the limit full;
* takers that find no slot wait for the channel ``realise_model_slots``, which every give-back
  notifies, and look again at least every :attr:`GlobalModelLimit.POLL_SECONDS` in case a
  notification was missed. In one process, takers ask the database one at a time, in the
  order they came.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

import psycopg
import structlog

from rewriter.batch.slots import AdaptiveLimit

log = structlog.get_logger("realise.batch")

CHANNEL = "realise_model_slots"


class GlobalModelLimit:
    POLL_SECONDS = 0.5
    # The same back-off as the in-memory limit's.
    DECREASE = AdaptiveLimit.DECREASE
    DEFAULT_HOLD = AdaptiveLimit.DEFAULT_HOLD

    def __init__(self, conninfo: str, ceiling: int, *, name: str = "provider") -> None:
        self.conninfo = conninfo
        self.ceiling = ceiling
        self.name = name
        self._calls: psycopg.AsyncConnection | None = None  # takes, give-backs, decreases
        self._listener: psycopg.AsyncConnection | None = None  # LISTEN; its session holds our slots
        self._listening: asyncio.Task[None] | None = None
        self._turn = asyncio.Lock()
        self._freed = asyncio.Event()
        self._pending: set[asyncio.Task[None]] = set()  # give-backs and decreases under way

    async def open(self) -> None:
        """Connect, listen, and set the ceiling (a worker started with another ceiling changes it for all)."""
        self._listener = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        await self._listener.execute(f"LISTEN {CHANNEL}")
        self._calls = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        await self._calls.execute(
            "INSERT INTO model_call_limit (name, ceiling, current) VALUES (%(name)s, %(ceiling)s, %(ceiling)s) "
            "ON CONFLICT (name) DO UPDATE SET ceiling = excluded.ceiling, "
            "current = LEAST(model_call_limit.current, excluded.ceiling)",
            {"name": self.name, "ceiling": self.ceiling},
        )
        self._listening = asyncio.create_task(self._listen(), name="model slot notifications")

    async def _listen(self) -> None:
        assert self._listener is not None
        async for _ in self._listener.notifies():
            self._freed.set()

    @property
    def holder(self) -> int:
        assert self._listener is not None, "open() first"
        return self._listener.info.backend_pid

    async def take(self) -> int:
        """Wait for a slot; its id, for :meth:`give_back`."""
        assert self._calls is not None, "open() first"
        async with self._turn:
            while True:
                self._freed.clear()
                cursor = await self._calls.execute(
                    "SELECT realise_take_model_slot(%(name)s, %(holder)s)", {"name": self.name, "holder": self.holder}
                )
                row = await cursor.fetchone()
                if row is not None and row[0] is not None:
                    return int(row[0])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._freed.wait(), self.POLL_SECONDS)

    def give_back(self, slot: int, *, succeeded: bool) -> None:
        """Free the slot now (the call has ended); the database hears of it a moment later."""
        self._later(self._give_back(slot, succeeded))

    async def _give_back(self, slot: int, succeeded: bool) -> None:
        assert self._calls is not None
        await self._calls.execute("SELECT realise_give_model_slot(%s, %s)", (slot, succeeded))

    def rate_limited(self, retry_after: float | None) -> None:
        """An ``OpenAIEngine.rate_limit_listeners`` callback: the provider answered 429, so everyone slows down."""
        self._later(self._decrease(retry_after))

    async def _decrease(self, retry_after: float | None) -> None:
        assert self._calls is not None
        cursor = await self._calls.execute(
            "UPDATE model_call_limit SET current = GREATEST(1, current * %(factor)s), "
            "hold_until = EXTRACT(EPOCH FROM clock_timestamp()) + %(hold)s "
            "WHERE name = %(name)s AND hold_until <= EXTRACT(EPOCH FROM clock_timestamp()) RETURNING current",
            {"factor": self.DECREASE, "hold": retry_after or self.DEFAULT_HOLD, "name": self.name},
        )
        if (row := await cursor.fetchone()) is not None:
            log.info("batch_concurrency_lowered", after=int(row[0]), retry_after=retry_after, shared=True)

    def _later(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._pending.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            # A give-back that failed is freed anyway when this worker's session ends; a lost
            # decrease only means the others slow down at the next 429.
            log.warning("model_slot_update_failed", error=repr(error))

    async def close(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        if self._listening is not None:
            self._listening.cancel()
            await asyncio.gather(self._listening, return_exceptions=True)
        for connection in (self._calls, self._listener):
            if connection is not None:
                await connection.close()
        self._calls = self._listener = None
