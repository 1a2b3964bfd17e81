"""request → assess input → generate candidates → evaluate → rank → respond."""

from __future__ import annotations

from typing import Protocol

import structlog

from evaluators import EvaluatorConfig, detect_mission, evaluate, judge_objective
from rewriter.domain import Candidate, CandidateDraft, Generation, Mission, RewriteResult, RewriteSpec, Usage
from rewriter.errors import UpstreamError
from rewriter.offline import OfflineEngine

log = structlog.get_logger("realise.pipeline")


class Engine(Protocol):
    provider: str
    model: str

    async def generate(self, spec: RewriteSpec, mission: Mission) -> Generation: ...

    def cache_identity(self, mission: Mission) -> str: ...


def evidence_for(spec: RewriteSpec) -> str:
    """The only text a generated number may come from."""
    return f"{spec.request}\n{spec.context or ''}"


class RewritePipeline:
    def __init__(
        self,
        engine: Engine,
        *,
        fallback_to_offline: bool = False,
        evaluator_config: EvaluatorConfig | None = None,
    ) -> None:
        self.engine = engine
        self.offline = engine if isinstance(engine, OfflineEngine) else OfflineEngine()
        self.fallback_to_offline = fallback_to_offline and engine is not self.offline
        self.evaluator_config = evaluator_config

    @staticmethod
    def resolve_mission(spec: RewriteSpec) -> Mission:
        return detect_mission(spec.request) if spec.mission == "auto" else spec.mission

    async def rewrite(self, spec: RewriteSpec) -> RewriteResult:
        assessment = judge_objective(spec.request, self.evaluator_config)
        mission = self.resolve_mission(spec)
        try:
            generation = await self.engine.generate(spec, mission)
        except UpstreamError as exc:
            if not self.fallback_to_offline:
                raise
            log.warning("model_failed_falling_back", error=exc.message, attempts=exc.attempts)
            generation = self.offline.generate_now(spec, mission)
            generation.engine.fallback_reason = exc.message
            # The failed attempts were still made; say so in the bill.
            generation.usage = Usage(calls=exc.attempts)
        return RewriteResult(
            assessment=assessment,
            mission=mission,
            candidates=self.rank(generation.drafts, spec),
            engine=generation.engine,
            usage=generation.usage,
        )

    def rank(self, drafts: list[CandidateDraft], spec: RewriteSpec) -> list[Candidate]:
        evidence = evidence_for(spec)
        judged = []
        for draft in drafts:
            evaluation = evaluate(
                draft.objective,
                [kr.text for kr in draft.key_results],
                context=spec.context,
                evidence=evidence,
                config=self.evaluator_config,
            )
            judged.append((draft, evaluation))
        # Stable sort: among equal scores the engine's own order stands.
        judged.sort(key=lambda pair: -pair[1].score)
        return [
            Candidate(
                objective=draft.objective,
                problem_statement=draft.problem_statement,
                hypothesis=draft.hypothesis,
                key_results=draft.key_results,
                evaluation=evaluation,
                score=evaluation.score,
                rank=position,
            )
            for position, (draft, evaluation) in enumerate(judged, start=1)
        ]
