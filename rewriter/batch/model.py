"""What a batch is made of: its options, its items and its record."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from rewriter.domain import RewriteOptions, RewriteSpec

BatchStatus = Literal["queued", "running", "done", "cancelled", "failed"]
UNFINISHED: tuple[BatchStatus, ...] = ("queued", "running")


class BatchOptions(RewriteOptions, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How every item of a batch is rewritten (the options of POST /v1/rewrites), and what it may spend."""

    token_budget: (
        Annotated[
            int, Meta(ge=1, description="Stop the batch once its model calls have used this many tokens (per run).")
        ]
        | None
    ) = None

    def spec_for(self, request: str, context: str | None) -> RewriteSpec:
        return RewriteSpec(request=request, context=context, **self.options())


@dataclass(frozen=True, slots=True)
class BacklogItem:
    """One item as read from the input, before it is stored."""

    where: str  # how messages name it: "row 7", "line 3", "items[2]"
    request: str
    context: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class PendingItem:
    """An item the runner still has to do."""

    position: int
    request: str
    context: str | None
    attempts: int


class Batch(msgspec.Struct, kw_only=True):
    """A batch as stored. Counters are kept up to date in the same transaction as each item."""

    id: str
    seq: int  # creation order; the cursor of GET /v1/batches
    status: BatchStatus
    source: str
    input_digest: str
    options: BatchOptions
    total: int
    done: int  # items with a result, including the cached ones
    failed: int
    cached: int  # items answered without a model call (persistent cache or an identical item)
    tokens: int
    tokens_at_run_start: int
    completed_at_run_start: int
    error: str | None
    created_at: float
    run_started_at: float | None
    finished_at: float | None

    @property
    def pending(self) -> int:
        return self.total - self.done - self.failed

    @property
    def progress(self) -> float:
        return (self.done + self.failed) / self.total if self.total else 1.0

    @property
    def run_tokens(self) -> int:
        """Tokens spent since the current run started: what the token budget limits."""
        return self.tokens - self.tokens_at_run_start

    def items_per_second(self, now: float | None = None) -> float | None:
        """Completion rate of the current run, or None before anything was completed in it."""
        if self.status not in UNFINISHED or self.run_started_at is None:
            return None
        completed = self.done + self.failed - self.completed_at_run_start
        elapsed = (now or time.time()) - self.run_started_at
        return completed / elapsed if completed > 0 and elapsed > 0 else None

    def eta_seconds(self, now: float | None = None) -> float | None:
        rate = self.items_per_second(now)
        return self.pending / rate if rate else None


class BatchRuns(ABC):
    """What runs the batches a store holds: the API, the CLI and the app's lifespan ask this of it.

    :class:`~rewriter.batch.runner.BatchRunner` runs them in this process (a SQLite file);
    :class:`~rewriter.batch.jobs.QueuedBatches` leaves them to ``realise worker`` processes (PostgreSQL).
    """

    @abstractmethod
    async def start(self) -> None:
        """Start running stored batches (the app's start-up)."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop; batches left unfinished resume on the next start."""

    @abstractmethod
    def submit(self, batch_id: str) -> None:
        """A batch was stored or re-queued: run it."""

    @abstractmethod
    def claim(self) -> bool:
        """Become what runs this database's batches, if nothing else is (the CLI's check)."""

    @abstractmethod
    def holder(self) -> str:
        """Who runs this database's batches, when :meth:`claim` said another does."""

    @abstractmethod
    async def cancel(self, batch_id: str, *, owner: str | None = None) -> Batch:
        """Cancel a batch (only ``owner``'s, when given) and stop its calls in flight."""

    @abstractmethod
    async def run(self, batch_id: str) -> Batch:
        """Run the batch to its end, or wait for it to end; returns the final record."""

    def live_workers(self) -> int | None:
        """How many worker processes elsewhere run the batches and are alive (they sent a
        heartbeat lately); None when this process runs them itself."""
        return None
