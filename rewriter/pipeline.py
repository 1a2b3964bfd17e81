"""request → assess input → generate candidates → evaluate → rank → respond."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import structlog

from evaluators import Evaluation, EvaluatorConfig, ObjectiveJudgement, detect_mission, evaluate, judge_objective
from rewriter.circuit import CircuitBreaker
from rewriter.domain import Candidate, CandidateDraft, Generation, Mission, RewriteResult, RewriteSpec
from rewriter.errors import UpstreamError, UpstreamUnavailable
from rewriter.offline import OfflineEngine
from rewriter.questions import questions_for
from rewriter.reading import learning_label, strip_preamble

log = structlog.get_logger("realise.pipeline")


class Engine(Protocol):
    provider: str
    model: str

    async def generate(self, spec: RewriteSpec, mission: Mission) -> Generation: ...

    def cache_identity(self, mission: Mission) -> str: ...


@dataclass(frozen=True)
class ModelCallRecord:
    """One engine call as operators see it (metrics, logs): who, how much, how it ended."""

    provider: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    retries: int
    error: str | None  # the UpstreamError class name, or None on success


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
        circuit: CircuitBreaker | None = None,
    ) -> None:
        self.engine = engine
        self.offline = engine if isinstance(engine, OfflineEngine) else OfflineEngine()
        self.fallback_to_offline = fallback_to_offline and engine is not self.offline
        self.evaluator_config = evaluator_config
        self.circuit = circuit or CircuitBreaker()
        self.observers: list[Callable[[ModelCallRecord], None]] = []

    def _notify(self, record: ModelCallRecord) -> None:
        for observer in self.observers:
            observer(record)

    @staticmethod
    def resolve_mission(spec: RewriteSpec) -> Mission:
        if spec.mission != "auto":
            return spec.mission
        # "Can someone look into whether …" asks what "Look into whether …" asks.
        if (
            learning_label(spec.request)
            or detect_mission(spec.request) == "discovery"
            or detect_mission(strip_preamble(spec.request)) == "discovery"
        ):
            return "discovery"
        return "delivery"

    async def rewrite(
        self, spec: RewriteSpec, *, model_call_ended: Callable[[], Awaitable[None]] | None = None
    ) -> RewriteResult:
        """``model_call_ended``, if given, is awaited as soon as the engine has answered or failed
        (not when cancelled), before anything is judged: a caller that bounds model calls in
        flight (the batch runner) frees its slot there, and may make the judging wait its turn."""
        mission = self.resolve_mission(spec)
        failure: UpstreamError | None = None
        try:
            generation = await self._generate(spec, mission)
        except UpstreamError as exc:
            failure = exc
        else:
            if self.engine is not self.offline:
                generation = await self._reask(spec, mission, generation)
        if model_call_ended is not None:
            await model_call_ended()
        if failure is not None:
            if not self.fallback_to_offline:
                raise failure
            log.warning("model_failed_falling_back", error=failure.message, attempts=failure.attempts)
            generation = self.offline.generate_now(spec, mission)
            generation.engine.fallback_reason = failure.message
            # The failed attempts were still made, and billed: say so.
            generation.usage = failure.usage
        assessment, candidates, questions, notice = self.conclude(spec, mission, generation.drafts, generation.notice)
        return RewriteResult(
            assessment=assessment,
            mission=mission,
            candidates=candidates,
            engine=generation.engine,
            usage=generation.usage,
            questions=questions,
            notice=notice,
        )

    def conclude(
        self, spec: RewriteSpec, mission: Mission, drafts: list[CandidateDraft], engine_notice: str | None = None
    ) -> tuple[ObjectiveJudgement, list[Candidate], list[str], str | None]:
        """What follows the engine, wherever its drafts came from (a call or the batch cache):
        judge the input, rank the drafts, let only passing ones through (the engine's gate: a
        candidate with an error-level finding, not fluent, the request pasted, vague, an
        output, never leaves), and say what to ask and why fewer came back."""
        # Judged after the model call, which need not wait for it.
        assessment = judge_objective(spec.request, self.evaluator_config)
        ranked = self.rank(drafts, spec, mission)
        candidates = [c for c in ranked if c.evaluation.passed][: spec.candidates]
        for position, candidate in enumerate(candidates, start=1):
            candidate.rank = position
        questions = questions_for(spec, mission, assessment, answered=bool(candidates))
        return assessment, candidates, questions, _notice(engine_notice, ranked, candidates, spec.candidates)

    async def _reask(self, spec: RewriteSpec, mission: Mission, generation: Generation) -> Generation:
        """The model's gate: when the evaluators would drop some of its candidates and too few
        pass, the model is asked once more with the findings; its new candidates join those
        that passed. A failed re-ask costs only its bill: the first answer stands."""
        revise = getattr(self.engine, "revise", None)
        judged = [(draft, self.judge(draft, spec, mission)) for draft in generation.drafts]
        kept = [draft for draft, evaluation in judged if evaluation.passed]
        rejected = [(draft, problems) for draft, evaluation in judged if (problems := _problems(evaluation))]
        if revise is None or not rejected or len(kept) >= spec.candidates:
            return generation
        usage = generation.usage
        try:
            revised: Generation = await revise(spec, mission, rejected)
        except UpstreamError as exc:
            log.warning("model_reask_failed", error=exc.message)
            usage.absorb(exc.usage)
            self._notify(
                ModelCallRecord(
                    self.engine.provider,
                    self.engine.model,
                    exc.attempts,
                    exc.usage.prompt_tokens,
                    exc.usage.completion_tokens,
                    max(exc.attempts - 1, 0),
                    type(exc).__name__,
                )
            )
            return generation
        log.info("model_reasked", rejected=len(rejected), written=len(revised.drafts))
        usage.absorb(revised.usage)
        spent = revised.usage
        self._notify(
            ModelCallRecord(
                self.engine.provider,
                self.engine.model,
                spent.calls,
                spent.prompt_tokens,
                spent.completion_tokens,
                revised.retries,
                None,
            )
        )
        return Generation(
            drafts=[*kept, *revised.drafts],
            engine=generation.engine,
            usage=usage,
            retries=generation.retries + revised.retries,
            notice=generation.notice,
        )

    async def _generate(self, spec: RewriteSpec, mission: Mission) -> Generation:
        if self.engine is self.offline:
            return await self.engine.generate(spec, mission)
        if not self.circuit.allow():
            raise UpstreamUnavailable(
                "the model provider failed repeatedly; not calling it until the cool-down ends",
                retry_after=self.circuit.retry_after(),
            )
        try:
            generation = await self.engine.generate(spec, mission)
        except UpstreamError as exc:
            # Invariant: the circuit hears only of the provider's health (connection errors, 5xx,
            # timeouts, rate limits that outlast the retries). A failure a request's own content
            # can provoke (output the guard rejects, a content filter's 400) ends that request
            # alone; counting it would let one caller switch the model off for everyone.
            if exc.provider_fault:
                self.circuit.record_failure()
            else:
                self.circuit.abandon_trial()  # no verdict on the provider: let another call be the trial
            spent = exc.usage
            self._notify(
                ModelCallRecord(
                    self.engine.provider,
                    self.engine.model,
                    exc.attempts,
                    spent.prompt_tokens,
                    spent.completion_tokens,
                    max(exc.attempts - 1, 0),
                    type(exc).__name__,
                )
            )
            raise
        except BaseException:
            # Cancelled (client went away) or a bug: says nothing about the provider's health.
            self.circuit.abandon_trial()
            raise
        self.circuit.record_success()
        usage = generation.usage
        self._notify(
            ModelCallRecord(
                self.engine.provider,
                self.engine.model,
                usage.calls,
                usage.prompt_tokens,
                usage.completion_tokens,
                generation.retries,
                None,
            )
        )
        return generation

    def judge(self, draft: CandidateDraft, spec: RewriteSpec, mission: Mission | None = None) -> Evaluation:
        return evaluate(
            draft.objective,
            [kr.text for kr in draft.key_results],
            context=spec.context,
            evidence=evidence_for(spec),
            request=spec.request,
            mission=mission,
            config=self.evaluator_config,
        )

    def rank(self, drafts: list[CandidateDraft], spec: RewriteSpec, mission: Mission | None = None) -> list[Candidate]:
        judged = [(draft, self.judge(draft, spec, mission)) for draft in drafts]
        # Candidates that pass (no error-level finding) first, then by score. Stable: among
        # equals the engine's own order stands.
        judged.sort(key=lambda pair: (not pair[1].passed, -pair[1].score))
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


def _problems(evaluation: Evaluation) -> list[str]:
    """What the evaluators found wrong, error-level only, as the model is told it."""
    return [
        f"{f.code}: {f.message}"
        for f in (*evaluation.objective.findings, *evaluation.findings)
        if f.severity == "error"
    ]


#: What the gate's findings mean, for a notice a PM reads (the code stays, for tools).
_IN_PLAIN_WORDS = {
    "output_verb": "it still names the work, not the difference it makes",
    "echoes_request": "it repeats the request",
    "not_fluent": "it does not read as natural English",
    "vague": "it is too vague to measure",
    "solution_named": "it names a solution, not an outcome",
}


def _notice(engine_notice: str | None, ranked: list[Candidate], kept: list[Candidate], asked: int) -> str | None:
    """Why fewer candidates than asked came back: what the engine said, then what the gate
    dropped and the findings that dropped them."""
    parts = [engine_notice] if engine_notice else []
    dropped = [c for c in ranked if not c.evaluation.passed]
    if len(kept) < asked and dropped:
        reasons = list(
            dict.fromkeys(
                f.code
                for c in dropped
                for f in (*c.evaluation.objective.findings, *c.evaluation.findings)
                if f.severity == "error"
            )
        )
        which = (
            "; ".join(f"{code}: {_IN_PLAIN_WORDS.get(code, 'an error-level finding')}" for code in reasons[:3])
            if reasons
            else "error-level findings"
        )
        if kept:
            parts.append(
                f"Only {len(kept)} of the candidates written passed the evaluators; the others were dropped ({which})."
            )
        else:
            parts.append(f"Every candidate the engine wrote failed the evaluators ({which}), so none is returned.")
    if not kept and not engine_notice:
        parts.append("Answering one of the questions gives the engine what it needs.")
    elif len(kept) < asked and not engine_notice and not dropped:
        parts.append(f"Only {len(kept)} candidate{'s' if len(kept) != 1 else ''} could be written.")
    return " ".join(parts) or None
