"""Judging: run the configured rules over readings and turn hits into findings and scores.

Pure functions of their arguments: no I/O, no clock, no randomness, so the same input
always gets the same judgement.

Speed: a text's reading (tokens and features) is cached by text, and so are the
findings last built from it, with the config (and, for key results, mission) they were
built for. Findings
are immutable, so sharing them between judgements is safe. Set-level rules and the
evidence check run on every call.
"""

from __future__ import annotations

from typing import Final

from collections.abc import Sequence

from .config import ActiveRule, EvaluatorConfig, default_config
from .model import (
    SEVERITY_ORDER,
    Evaluation,
    Finding,
    KeyResultJudgement,
    Mission,
    ObjectiveJudgement,
)
from .rules.base import Judged
from .rules.key_result import KeyResultContext, KeyResultReading, figure_keys, read_key_result
from .rules.objective import ObjectiveReading, read_objective
from .rules.set_rules import SetContext
from .text import analyse

OBJECTIVE_WEIGHT: Final = 0.4  # the key results carry the rest: they are what gets tracked
_round: Final = round  # a C static: a bare `round` is looked up in builtins at every call


def _finding_order(finding: Finding) -> tuple[int, int, str]:
    span = finding.span
    return (SEVERITY_ORDER[finding.severity], span[0] if span is not None else -1, finding.code)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Severity first (errors on top), then position in the text, then code."""
    return sorted(findings, key=_finding_order)


def _findings(active: tuple[ActiveRule, ...], subject: object) -> tuple[list[Finding], float]:
    findings: list[Finding] = []
    penalty = 0.0
    for rule, severity, weight in active:
        hits = rule.check(subject)
        if not hits:
            continue
        for span, detail in hits:
            findings.append(
                Finding(
                    code=rule.code,
                    severity=severity,
                    message=rule.render_message(detail),
                    span=span,
                    suggestion=rule.suggestion,
                )
            )
            penalty += weight
    if len(findings) > 1:
        findings = sort_findings(findings)
    return findings, penalty


_scores: Final[dict[float, float]] = {}  # penalty → score: few distinct sums of rule weights


def _score(penalty: float) -> float:
    # round(x, 3) formats the float to decimal digits and back: about 3,000 instructions,
    # where a look-up is about 100. Penalties are sums of a few rule weights, so they repeat.
    score = _scores.get(penalty)
    if score is None:
        score = _round(max(0.0, 1.0 - penalty), 3)
        if len(_scores) < 4096:
            _scores[penalty] = score
    return score


def _judge_objective(reading: ObjectiveReading, config: EvaluatorConfig) -> ObjectiveJudgement:
    judged = reading.judged
    if judged is None or judged.serial != config.serial:
        fresh, penalty = _findings(config.objective_rules, reading)
        is_output = any(f.code == "output_verb" for f in fresh)
        judged = Judged(config.serial, "", tuple(fresh), penalty, _score(penalty), is_output, False)
        reading.judged = judged
    findings, score, output = judged.findings, judged.score, judged.output
    return ObjectiveJudgement(
        text=reading.a.text,
        kind="output" if output else "outcome",
        score=score,
        findings=list(findings),
        mission=reading.mission,
    )


def judge_objective(text: str, config: EvaluatorConfig | None = None) -> ObjectiveJudgement:
    """Judge one objective: output or outcome, its mission, findings and score."""
    return _judge_objective(read_objective(text), config or default_config())


def _evidence_figures(evidence: str | None, context: str | None = None) -> frozenset[str] | None:
    if evidence is None:
        return None
    figures = figure_keys(analyse(evidence))
    if context:
        figures |= figure_keys(analyse(context))
    return figures


def _judge_key_result(
    reading: KeyResultReading,
    mission: Mission,
    evidence_figures: frozenset[str] | None,
    config: EvaluatorConfig,
) -> KeyResultJudgement:
    judged = reading.judged
    if judged is None or judged.serial != config.serial or judged.mission != mission:
        # Everything but invented_baseline depends only on the text, config and mission.
        fresh, fresh_penalty = _findings(config.key_result_rules, KeyResultContext(reading, mission, None))
        activity = measurable = False
        for finding in fresh:
            activity = activity or finding.code == "kr_activity"
            measurable = measurable or finding.code == "kr_unmeasurable"
        judged = Judged(
            config.serial, mission, tuple(fresh), fresh_penalty, _score(fresh_penalty), activity, not measurable
        )
        reading.judged = judged
    penalty, score, activity, measurable = judged.penalty, judged.score, judged.output, judged.measurable
    findings = list(judged.findings)
    if evidence_figures is not None:
        invented = config.active.get("invented_baseline")
        if invented is not None:
            extra, extra_penalty = _findings((invented,), KeyResultContext(reading, mission, evidence_figures))
            if extra:
                findings = sort_findings(findings + extra)
                score = _score(penalty + extra_penalty)
    return KeyResultJudgement(
        text=reading.a.text,
        kind="output" if activity else "outcome",
        measurable=measurable,
        score=score,
        findings=findings,
    )


def judge_key_result(
    text: str,
    *,
    evidence: str | None = None,
    config: EvaluatorConfig | None = None,
    mission: Mission = "delivery",
) -> KeyResultJudgement:
    """Judge one key result.

    ``evidence`` — when given, the key result was generated, and ``evidence`` is the
    user's request and context: figures that appear nowhere in it are flagged
    (``invented_baseline``). ``mission`` — the objective's mission; under "discovery"
    research tasks (interviews, experiments) are accepted as key results.
    """
    return _judge_key_result(
        read_key_result(text), mission, _evidence_figures(evidence), config or default_config()
    )


def evaluate(
    objective: str,
    key_results: Sequence[str],
    *,
    context: str | None = None,
    evidence: str | None = None,
    key_result_range: tuple[int, int] | None = None,
    config: EvaluatorConfig | None = None,
) -> Evaluation:
    """Judge an objective with its key results, and the set as a whole.

    ``context`` is the user's background text; when ``evidence`` is given (generated key
    results) figures quoted in the context count as known too. ``key_result_range``
    overrides the configured (min, max) number of key results for this call.
    """
    config = config or default_config()
    objective_reading = read_objective(objective)
    objective_judgement = _judge_objective(objective_reading, config)
    mission = objective_reading.mission
    evidence_figures = None if evidence is None else _evidence_figures(evidence, context)
    readings = [read_key_result(text) for text in key_results]
    key_result_judgements = [
        _judge_key_result(reading, mission, evidence_figures, config) for reading in readings
    ]

    minimum, maximum = key_result_range or (config.key_result_min, config.key_result_max)
    set_findings, set_penalty = _findings(
        config.set_rules, SetContext(objective_reading, readings, minimum, maximum)
    )

    passed = not set_findings or all(f.severity != "error" for f in set_findings)
    if passed:
        passed = all(f.severity != "error" for f in objective_judgement.findings) and all(
            f.severity != "error" for j in key_result_judgements for f in j.findings
        )
    if key_result_judgements:
        mean = sum(j.score for j in key_result_judgements) / len(key_result_judgements)
        overall = OBJECTIVE_WEIGHT * objective_judgement.score + (1 - OBJECTIVE_WEIGHT) * mean
    else:
        overall = objective_judgement.score
    return Evaluation(
        objective=objective_judgement,
        key_results=key_result_judgements,
        findings=set_findings,
        score=_round(min(1.0, max(0.0, overall - set_penalty)), 3),
        passed=passed,
    )


def clear_caches() -> None:
    """Forget every cached reading and judgement (for benchmarks of the uncached cost)."""
    from . import text
    from .rules import key_result, objective

    text.clear_cache()
    objective.clear_cache()
    key_result.clear_cache()
