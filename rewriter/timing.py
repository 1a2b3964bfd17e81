"""Time spent waiting on the model, per request, without threading it through every call.

The HTTP layer opens a ``RequestTiming`` for each request; the model engine adds to it. The
holder is mutable, so time added inside tasks spawned for the request is seen by the caller.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class RequestTiming:
    model_seconds: float = 0.0


current_timing: ContextVar[RequestTiming | None] = ContextVar("current_timing", default=None)


@contextmanager
def waiting_on_model() -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timing = current_timing.get()
        if timing is not None:
            timing.model_seconds += time.perf_counter() - started
