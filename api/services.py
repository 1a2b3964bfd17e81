"""The objects a request needs, built once per app from Settings."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import msgspec
import structlog

from api.config import Settings
from api.observability import configure_logging
from api.security import ApiKeys
from evaluators import EvaluatorConfig, load_config
from evaluators.plugins import use_plugins
from prompts import PromptLibrary, default_library
from rewriter.batch.model import BatchRuns
from rewriter.batch.runner import BatchRunner
from rewriter.batch.store import BatchStore
from rewriter.batch.worker import WorkerPool
from rewriter.circuit import CircuitBreaker
from rewriter.database import Database
from rewriter.feedback import FeedbackStore
from rewriter.llm import OpenAIEngine, RetryPolicy, build_client
from rewriter.offline import OfflineEngine
from rewriter.pipeline import Engine, RewritePipeline


@dataclass
class Services:
    settings: Settings
    prompts: PromptLibrary
    evaluator_config: EvaluatorConfig
    engine: Engine
    pipeline: RewritePipeline
    feedback: FeedbackStore
    api_keys: ApiKeys
    batch_store: BatchStore
    batch_runner: BatchRuns
    _server_check: asyncio.Task[object] | None = None

    async def check_model_server(self) -> None:
        """At start-up, in the background: ask the model server (free ``GET /models``) who it is
        and whether it serves the configured model, so /ready can say so before any rewrite."""
        if isinstance(self.engine, OpenAIEngine):
            self._server_check = asyncio.create_task(self.engine.check_server(), name="model server check")

    async def close(self) -> None:
        if self._server_check is not None:
            self._server_check.cancel()
            await asyncio.gather(self._server_check, return_exceptions=True)
        # The runner first: its in-flight items need the engine until they are cancelled.
        await self.batch_runner.stop()
        if isinstance(self.engine, OpenAIEngine):
            await self.engine.close()
        self.batch_store.close()  # the database both stores share


def build_engine(settings: Settings, prompts: PromptLibrary) -> Engine:
    if not settings.uses_model:
        return OfflineEngine()
    client = build_client(
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        timeout=settings.model_timeout,
        # Batches get their own share of connections, so interactive rewrites never queue behind them.
        max_connections=100 + settings.batch_concurrency,
    )
    retry = RetryPolicy(max_attempts=settings.retry_attempts, total_budget=settings.retry_budget)
    return OpenAIEngine(
        client=client,
        model=settings.model_name,
        library=prompts,
        retry=retry,
        max_tokens_cap=settings.max_tokens,
        profile=settings.model_profile,
        model_check=settings.model_check,
    )


def rules_in_force(settings: Settings) -> EvaluatorConfig:
    """The rules in force: the built-in ones, the plugins' unless switched off, and the rules file."""
    use_plugins(settings.rule_plugins)
    return load_config(settings.rules_file)


def build_pipeline(settings: Settings, engine: Engine, evaluator_config: EvaluatorConfig | None) -> RewritePipeline:
    return RewritePipeline(
        engine,
        fallback_to_offline=settings.fallback == "offline",
        evaluator_config=evaluator_config,
        circuit=CircuitBreaker(threshold=settings.circuit_threshold, cooldown=settings.circuit_cooldown),
    )


def build_batch_workers(settings: Settings) -> WorkerPool | None:
    """``REALISE_BATCH_WORKERS`` processes, each building its pipeline as below from these settings."""
    if not settings.batch_workers:
        return None
    # The config goes down a pipe; the model key in the environment (never argv); API keys not at all.
    config = msgspec.json.encode(
        msgspec.structs.replace(settings, openai_api_key=None, api_keys=None, api_keys_file=None, admin_api_keys=None)
    )
    return WorkerPool(
        settings.batch_workers,
        factory=batch_worker_pipeline,
        config=config,
        env={"OPENAI_API_KEY": settings.openai_api_key},
    )


def batch_worker_pipeline(config: bytes) -> tuple[RewritePipeline, Callable[[], Awaitable[None]]]:
    """Runs in a batch worker process (``rewriter.batch.worker``): its pipeline, as build_services
    builds the server's."""
    settings = msgspec.json.decode(config, type=Settings)
    settings = msgspec.structs.replace(settings, openai_api_key=os.environ.get("OPENAI_API_KEY") or None)
    configure_logging(fmt=settings.log_format, level=settings.log_level, secrets=[settings.openai_api_key or ""])
    engine = build_engine(settings, default_library())
    pipeline = build_pipeline(settings, engine, rules_in_force(settings))

    async def close() -> None:
        if isinstance(engine, OpenAIEngine):
            await engine.close()

    return pipeline, close


async def run_item_worker(settings: Settings, *, concurrency: int) -> None:
    """``realise worker``: take batch items from the queue in ``settings.database_url`` until stopped."""
    # Imported here: the job queue (Procrastinate, psycopg) is for the distributed mode only.
    from rewriter.batch.global_limit import GlobalModelLimit
    from rewriter.batch.jobs import ItemWorker, JobQueue, conninfo, run_worker

    assert settings.database_url is not None
    database = Database.open(settings.database_url)
    queue = JobQueue(settings.database_url)
    engine = build_engine(settings, default_library())
    pipeline = build_pipeline(settings, engine, rules_in_force(settings))
    limit = GlobalModelLimit(conninfo(settings.database_url), settings.batch_concurrency)
    worker = ItemWorker(BatchStore(database, queue=queue), queue, pipeline, limit)
    try:
        await run_worker(
            settings.database_url, worker, concurrency=concurrency, stalled_seconds=settings.worker_timeout
        )
    finally:
        if isinstance(engine, OpenAIEngine):
            await engine.close()
        database.close()


def build_services(settings: Settings, *, engine: Engine | None = None) -> Services:
    prompts = default_library()
    evaluator_config = rules_in_force(settings)
    workers = None
    if engine is not None and settings.batch_workers:
        # Workers build their engine from the settings; one handed in here (tests) exists only in this process.
        structlog.get_logger("realise.batch").warning("batch_workers_ignored", reason="an engine object was passed in")
    elif settings.database_url is None:  # with a database URL, `realise worker` processes compute the items
        workers = build_batch_workers(settings)
    engine = engine or build_engine(settings, prompts)
    pipeline = build_pipeline(settings, engine, evaluator_config)
    database = Database.open(settings.database)
    batch_runner: BatchRuns
    if database.is_postgresql:  # `realise worker` processes run the items, from the job queue
        from rewriter.batch.jobs import JobQueue, QueuedBatches

        batch_store = BatchStore(database, queue=JobQueue(settings.database))
        batch_runner = QueuedBatches(batch_store, stalled_seconds=settings.worker_timeout)
    else:
        batch_store = BatchStore(database)
        batch_runner = BatchRunner(batch_store, pipeline, concurrency=settings.batch_concurrency, workers=workers)
    return Services(
        settings=settings,
        prompts=prompts,
        evaluator_config=evaluator_config,
        engine=engine,
        pipeline=pipeline,
        feedback=FeedbackStore(database),
        api_keys=ApiKeys.load(settings.api_keys, settings.api_keys_file, settings.admin_api_keys),
        batch_store=batch_store,
        batch_runner=batch_runner,
    )
