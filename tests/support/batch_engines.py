"""An engine for batch tests: instant offline drafts, a model's bill, and scripted trouble."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter, defaultdict

from rewriter.domain import EngineInfo, Generation, Mission, RewriteSpec, Usage
from rewriter.offline import OfflineEngine

TOKENS_PER_CALL = 15


class ScriptedEngine:
    """Answers like the offline engine but bills like a model, and counts every call.

    ``fail(request, *errors)`` makes the next calls for that request raise those errors, in
    order. A ``held`` engine keeps every call waiting until ``release(n)`` lets n of them (or
    ``release()`` all) answer; it is thread-safe, so a test can release calls while the app
    runs on another thread's event loop.
    """

    provider = "openai"
    model = "scripted"

    def __init__(self, *, held: bool = False) -> None:
        self.calls: Counter[str] = Counter()
        self.in_flight = 0
        self.cancelled = 0
        self._lock = threading.Lock()
        self._passes: int | None = 0 if held else None  # None: no limit
        self._offline = OfflineEngine()
        self._failures: dict[str, list[Exception]] = defaultdict(list)

    def fail(self, request: str, *errors: Exception) -> None:
        self._failures[request].extend(errors)

    def release(self, calls: int | None = None) -> None:
        with self._lock:
            self._passes = None if calls is None else (self._passes or 0) + calls

    def _may_answer(self) -> bool:
        with self._lock:
            if self._passes is None:
                return True
            if self._passes > 0:
                self._passes -= 1
                return True
            return False

    def cache_identity(self, mission: Mission) -> str:
        return f"scripted:{mission}"

    async def generate(self, spec: RewriteSpec, mission: Mission) -> Generation:
        self.calls[spec.request] += 1
        self.in_flight += 1
        try:
            while not self._may_answer():
                await asyncio.sleep(0.005)
            await asyncio.sleep(0)  # a real call yields to the loop; so does this one
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1
        if self._failures[spec.request]:
            raise self._failures[spec.request].pop(0)
        drafts = self._offline.generate_now(spec, mission).drafts
        usage = Usage(calls=1, prompt_tokens=10, completion_tokens=5, total_tokens=TOKENS_PER_CALL)
        return Generation(
            drafts=drafts, engine=EngineInfo(provider="openai", model=self.model, prompt="scripted@1"), usage=usage
        )
