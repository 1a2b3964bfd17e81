"""The objects a request needs, built once per app from Settings."""

from __future__ import annotations

from dataclasses import dataclass

from evaluators import EvaluatorConfig, load_config
from prompts import PromptLibrary, default_library
from rewriter.batch.runner import BatchRunner
from rewriter.batch.store import BatchStore
from rewriter.circuit import CircuitBreaker
from rewriter.feedback import FeedbackStore
from rewriter.llm import OpenAIEngine, RetryPolicy, build_client
from rewriter.offline import OfflineEngine
from rewriter.pipeline import Engine, RewritePipeline

from api.config import Settings
from api.security import ApiKeys


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
    batch_runner: BatchRunner

    async def close(self) -> None:
        # The runner first: its in-flight items need the engine until they are cancelled.
        await self.batch_runner.stop()
        self.batch_store.close()
        if isinstance(self.engine, OpenAIEngine):
            await self.engine.client.close()
        self.feedback.close()


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
        client=client, model=settings.model_name, library=prompts, retry=retry, max_tokens_cap=settings.max_tokens
    )


def build_services(settings: Settings, *, engine: Engine | None = None) -> Services:
    prompts = default_library()
    evaluator_config = load_config(settings.rules_file)
    engine = engine or build_engine(settings, prompts)
    pipeline = RewritePipeline(
        engine,
        fallback_to_offline=settings.fallback == "offline",
        evaluator_config=evaluator_config,
        circuit=CircuitBreaker(threshold=settings.circuit_threshold, cooldown=settings.circuit_cooldown),
    )
    batch_store = BatchStore(settings.db_path)
    return Services(
        settings=settings,
        prompts=prompts,
        evaluator_config=evaluator_config,
        engine=engine,
        pipeline=pipeline,
        feedback=FeedbackStore(settings.db_path),
        api_keys=ApiKeys.load(settings.api_keys, settings.api_keys_file),
        batch_store=batch_store,
        batch_runner=BatchRunner(batch_store, pipeline, concurrency=settings.batch_concurrency),
    )
