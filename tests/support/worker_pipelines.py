"""Pipelines for batch worker processes in tests: ``WorkerPool(factory=scripted)``.

Import ``scripted`` as ``tests.support.worker_pipelines.scripted``: the worker process
imports it by that name from the checkout's root, its working directory when the tests run.
The config is a JSON :class:`Script`: the errors the worker's
:class:`~support.batch_engines.ScriptedEngine` raises, per request, in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import msgspec

from rewriter.domain import Generation, Mission, RewriteSpec
from rewriter.errors import UpstreamBadOutput, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable
from rewriter.pipeline import RewritePipeline

from .batch_engines import ScriptedEngine


class Failure(msgspec.Struct, array_like=True):
    error: str  # UpstreamUnavailable, UpstreamTimeout, UpstreamBadOutput, UpstreamRejected, or ValueError (a bug)
    message: str
    retry_after: float | None = None

    def exception(self) -> Exception:
        if self.error == "UpstreamUnavailable":
            return UpstreamUnavailable(self.message, retry_after=self.retry_after)
        if self.error == "ValueError":
            return ValueError(self.message)
        return {
            "UpstreamTimeout": UpstreamTimeout,
            "UpstreamBadOutput": UpstreamBadOutput,
            "UpstreamRejected": UpstreamRejected,
        }[self.error](self.message)


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
