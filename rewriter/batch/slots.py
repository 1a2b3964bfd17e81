"""Slots that batch work waits for, first come, first served.

Built on plain futures of the running loop rather than ``asyncio.Semaphore``/``Lock``, which
bind to the first loop that waits on them: a runner may outlive one event loop (tests, the CLI).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

import structlog

log = structlog.get_logger("realise.batch")


class FairSlots:
    """At most ``current`` holders at once; waiters are served in the order they came."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.in_use = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def current(self) -> int:
        return self.capacity

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self) -> None:
        if self.in_use < self.current and not self._waiters:
            self.in_use += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot just as we were cancelled: pass it on
            elif waiter in self._waiters:  # (a hand-over may have skipped it already)
                self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        self.in_use -= 1
        self._hand_over()

    def _hand_over(self) -> None:
        # The slot is counted as taken when handed over, so nobody can overtake the waiter.
        while self._waiters and self.in_use < self.current:
            waiter = self._waiters.popleft()
            if waiter.done():
                continue  # cancelled while it waited; its task has yet to unwind
            self.in_use += 1
            waiter.set_result(None)


class JudgingLane(FairSlots):
    """Model answers judged one at a time, each in its own turn of the event loop.

    Judging an answer is CPU work with no await in it. Answers arrive in bursts (calls sent
    together come back together); judged back to back, a burst holds up everything else the
    loop has to do meanwhile: reading the next answers, whose calls then count as still in
    flight, and sending new calls. In the lane an answer waits for its turn, and between two
    turns the loop serves its I/O, so reading and sending go first.
    """

    def __init__(self) -> None:
        super().__init__(1)


class AdaptiveLimit(FairSlots):
    """A concurrency limit that backs off when the provider pushes back (AIMD, as TCP does).

    Additive increase: each successful call adds ``1/limit``, so the limit grows by about one
    per round of calls. Multiplicative decrease: a 429 halves it, but only once per
    Retry-After period, because the calls already in flight when the provider started
    refusing will all see 429s for the same congestion. Waiters are served first come, first
    served, so concurrent batches share the slots.
    """

    DECREASE = 0.5
    DEFAULT_HOLD = 1.0  # seconds between decreases when the provider gives no Retry-After
    FLOOR = 1

    def __init__(self, ceiling: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(ceiling)
        self.ceiling = ceiling
        self.limit = float(ceiling)
        self._clock = clock
        self._hold_until = float("-inf")

    @property
    def current(self) -> int:
        return max(self.FLOOR, int(self.limit))

    def succeeded(self) -> None:
        self.limit = min(float(self.ceiling), self.limit + 1 / self.limit)
        self._hand_over()

    def rate_limited(self, retry_after: float | None) -> None:
        """An ``OpenAIEngine.rate_limit_listeners`` callback: the provider answered 429."""
        now = self._clock()
        if now < self._hold_until:
            return
        self._hold_until = now + (retry_after or self.DEFAULT_HOLD)
        before = self.current
        self.limit = max(float(self.FLOOR), self.limit * self.DECREASE)
        log.info("batch_concurrency_lowered", before=before, after=self.current, retry_after=retry_after)


class Pacer:
    """Spaces the starts of model calls: a quarter of a call's latency over the slots apart.

    Calls started together come back together, and a burst of answers is read, judged and
    stored one after another, so the last of them hold their slots longest; and since each
    answer frees the slot for the next call at once, the burst repeats every round. Spacing
    starts by ``latency / slots / 4`` (a quarter of the steady spacing the slots allow, so it
    never limits throughput) spreads a burst out within a round or two. The latency is a
    moving average of the calls observed; until one is, nothing is spaced.
    """

    SMOOTHING = 0.2
    SPREAD = 4

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.latency: float | None = None
        self._clock = clock
        self._next_start = float("-inf")

    def observe(self, seconds: float) -> None:
        """A model call took ``seconds`` from its start to its answer."""
        if self.latency is None:
            self.latency = seconds
        else:
            self.latency += self.SMOOTHING * (seconds - self.latency)

    def gap(self, slots: int) -> float:
        return 0.0 if self.latency is None else self.latency / max(slots, 1) / self.SPREAD

    async def wait(self, slots: int) -> None:
        """Return when the next call may start, with ``slots`` calls allowed in flight.

        Each caller reserves its start time before sleeping, so concurrent callers are
        spaced in the order they came."""
        now = self._clock()
        start = max(now, self._next_start)
        self._next_start = start + self.gap(slots)
        if start > now:
            await asyncio.sleep(start - now)
