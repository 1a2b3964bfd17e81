"""Pipelines for batch worker processes in tests: ``WorkerPool(factory="support.worker_pipelines:scripted")``.

The worker imports this module, so the pool's environment must put ``tests/`` on PYTHONPATH
(see ``TESTS_PATH``). The config is a JSON :class:`Script`: the errors the worker's
:class:`~support.batch_engines.ScriptedEngine` raises, per request, in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec

from rewriter.domain import Generation, Mission, RewriteSpec
from rewriter.errors import UpstreamBadOutput, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable
from rewriter.pipeline import RewritePipeline
from support.batch_engines import ScriptedEngine

TESTS_PATH = str(Path(__file__).resolve().parents[1])


class Failure(msgspec.Struct, array_like=True):
    error: str  # UpstreamUnavailable, UpstreamTimeout, UpstreamBadOutput, UpstreamRejected, or ValueError (a bug)
    message: str
    retry_after: float | None = None

    def exception(self) -> Exception:
        if self.error == "UpstreamUnavailable":
            return UpstreamUnavailable(self.message, retry_after=self.retry_after)
        if self.error == "ValueError":
            return ValueError(self.message)
        return {"UpstreamTimeout": UpstreamTimeout, "UpstreamBadOutput": UpstreamBadOutput, "UpstreamRejected": UpstreamRejected}[
            self.error
        ](self.message)


class Script(msgspec.Struct):
    failures: dict[str, list[Failure]] = {}
    delay: float = 0.0  # seconds every call takes


class SlowEngine(ScriptedEngine):
    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def generate(self, spec: RewriteSpec, mission: Mission) -> Generation:
        await asyncio.sleep(self.delay)
        return await super().generate(spec, mission)


def scripted_engine(script: Script) -> ScriptedEngine:
    engine = SlowEngine(script.delay) if script.delay else ScriptedEngine()
    for request, failures in script.failures.items():
        engine.fail(request, *(failure.exception() for failure in failures))
    return engine


def scripted(config: bytes) -> tuple[RewritePipeline, Callable[[], Awaitable[None]]]:
    async def close() -> None:
        pass

    return RewritePipeline(scripted_engine(msgspec.json.decode(config, type=Script))), close
