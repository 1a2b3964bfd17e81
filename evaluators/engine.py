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

from collections.abc import Sequence
from typing import Final

from .config import ActiveRule, EvaluatorConfig, default_config
from .language import JUDGED_LANGUAGES
from .model import (
    SEVERITY_ORDER,
    Evaluation,
    Finding,
    KeyResultJudgement,
    Kind,
    Mission,
    ObjectiveJudgement,
)
from .rules.base import Judged
from .rules.key_result import KeyResultContext, KeyResultReading, evidence_figure_keys, read_key_result
from .rules.objective import ObjectiveCall, ObjectiveReading, read_objective
from .rules.set_rules import SetContext
from .text import analyse

OBJECTIVE_WEIGHT: Final = 0.4  # the key results carry the rest: they are what gets tracked
#: The highest score of a text or set with an error-level finding: below any without one.
FAILED_SCORE_CAP: Final = 0.5


def _finding_order(finding: Finding) -> tuple[int, int, str]:
    span = finding.span
    return (SEVERITY_ORDER[finding.severity], span[0] if span is not None else -1, finding.code)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Severity first (errors on top), then position in the text, then code."""
    return sorted(findings, key=_finding_order)


def _findings(active: tuple[ActiveRule, ...], subject: object, language: str) -> tuple[list[Finding], float]:
    """Findings of the rules in ``active`` that understand ``language``."""
    findings: list[Finding] = []
    penalty = 0.0
    for rule, severity, weight in active:
        languages = rule.languages
        if languages is not None and language not in languages:
            continue
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
        score = round(max(0.0, 1.0 - penalty), 3)
        if len(_scores) < 4096:
            _scores[penalty] = score
    return score


def _has_error(findings: Sequence[Finding]) -> bool:
    for finding in findings:
        if finding.severity == "error":
            return True
    return False


def _capped(score: float, failed: bool) -> float:
    """A text or set with an error-level finding scores at most FAILED_SCORE_CAP, so it
    ranks below any that has none (see also RewritePipeline.rank)."""
    return min(score, FAILED_SCORE_CAP) if failed else score


def _judge_objective(
    reading: ObjectiveReading,
    config: EvaluatorConfig,
    call: ObjectiveCall | None = None,
    mission: Mission | None = None,
) -> ObjectiveJudgement:
    language = reading.language
    judged = reading.judged
    if judged is None or judged.serial != config.serial:
        fresh, penalty = _findings(config.objective_rules, reading, language)
        judged = Judged(config.serial, "", tuple(fresh), penalty, _score(penalty), reading.output is not None, False)
        reading.judged = judged
    findings, penalty = judged.findings, judged.penalty
    extra, extra_penalty = _findings(config.objective_call_rules, call or ObjectiveCall(reading, None, None), language)
    if extra:
        all_findings = sort_findings(list(findings) + extra)
        penalty += extra_penalty
    else:
        all_findings = list(findings)
    kind: Kind = "unknown" if language not in JUDGED_LANGUAGES else "output" if judged.output else "outcome"
    return ObjectiveJudgement(
        text=reading.a.text,
        kind=kind,
        score=_capped(_score(penalty), _has_error(all_findings)),
        findings=all_findings,
        mission=mission or reading.mission,
        language=language,
    )


def _exempt_words(*texts: str | None) -> frozenset[str] | None:
    """The words the user wrote (request, context): the dictionary need not know them."""
    words: set[str] = set()
    given = False
    for text in texts:
        if text:
            given = True
            words.update(analyse(text).words)
    return frozenset(words) if given else None


def judge_objective(
    text: str,
    config: EvaluatorConfig | None = None,
    *,
    request: str | None = None,
    context: str | None = None,
    mission: Mission | None = None,
) -> ObjectiveJudgement:
    """Judge one objective: output or outcome (or unknown, for a language the rules do not
    read), its mission, findings and score. ``request`` — the request the objective was
    written for: an objective that repeats an output-style request is flagged, and words
    of the request and ``context`` count as words. ``mission`` overrides the detected one."""
    reading = read_objective(text)
    call = None
    if request is not None or context is not None:
        call = ObjectiveCall(reading, read_objective(request) if request else None, _exempt_words(request, context))
    return _judge_objective(reading, config or default_config(), call, mission)


def _evidence_figures(evidence: str | None, context: str | None = None) -> frozenset[str] | None:
    if evidence is None:
        return None
    figures = evidence_figure_keys(evidence)
    if context:
        figures |= evidence_figure_keys(context)
    return figures


def _judge_key_result(
    reading: KeyResultReading,
    mission: Mission,
    evidence_figures: frozenset[str] | None,
    config: EvaluatorConfig,
    exempt: frozenset[str] | None = None,
) -> KeyResultJudgement:
    language = reading.language
    judged = reading.judged
    if judged is None or judged.serial != config.serial or judged.mission != mission:
        # Everything computed per call (invented figures, the user's words) is left out.
        context = KeyResultContext(reading, mission, None)
        fresh, fresh_penalty = _findings(config.key_result_rules, context, language)
        judged = Judged(
            config.serial,
            mission,
            tuple(fresh),
            fresh_penalty,
            _score(fresh_penalty),
            context.activity is not None,
            context.measurable,
        )
        reading.judged = judged
    penalty = judged.penalty
    findings = list(judged.findings)
    extra, extra_penalty = _findings(
        config.key_result_call_rules, KeyResultContext(reading, mission, evidence_figures, exempt), language
    )
    if extra:
        findings = sort_findings(findings + extra)
        penalty += extra_penalty
    known = language in JUDGED_LANGUAGES
    return KeyResultJudgement(
        text=reading.a.text,
        kind=("output" if judged.output else "outcome") if known else "unknown",
        measurable=judged.measurable if known else None,
        score=_capped(_score(penalty), _has_error(findings)),
        findings=findings,
        language=language,
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
    (``invented_baseline``), and its words count as words. ``mission`` — the objective's
    mission; under "discovery" research tasks (interviews, experiments) are accepted as
    key results.
    """
    return _judge_key_result(
        read_key_result(text),
        mission,
        _evidence_figures(evidence),
        config or default_config(),
        _exempt_words(evidence),
    )


def evaluate(
    objective: str,
    key_results: Sequence[str],
    *,
    context: str | None = None,
    evidence: str | None = None,
    request: str | None = None,
    mission: Mission | None = None,
    key_result_range: tuple[int, int] | None = None,
    config: EvaluatorConfig | None = None,
) -> Evaluation:
    """Judge an objective with its key results, and the set as a whole.

    ``context`` is the user's background text; when ``evidence`` is given (generated key
    results) figures quoted in the context count as known too. ``request`` is the
    request the set was written for: an objective repeating it is flagged, and its words
    (and the context's) count as words. ``mission`` — "delivery" or "discovery" —
    overrides the mission detected from the objective: under discovery, research key
    results are right. ``key_result_range`` overrides the configured (min, max) number of
    key results for this call.
    """
    config = config or default_config()
    objective_reading = read_objective(objective)
    exempt = _exempt_words(request, context, evidence)
    call = ObjectiveCall(objective_reading, read_objective(request) if request else None, exempt)
    objective_judgement = _judge_objective(objective_reading, config, call, mission)
    mission = objective_judgement.mission
    evidence_figures = None if evidence is None else _evidence_figures(evidence, context)
    readings = [read_key_result(text) for text in key_results]
    key_result_judgements = [
        _judge_key_result(reading, mission, evidence_figures, config, exempt) for reading in readings
    ]

    minimum, maximum = key_result_range or (config.key_result_min, config.key_result_max)
    set_findings, set_penalty = _findings(
        config.set_rules, SetContext(objective_reading, readings, minimum, maximum), objective_reading.language
    )

    passed = not _has_error(set_findings) and not _has_error(objective_judgement.findings)
    if passed:
        for judgement in key_result_judgements:
            if _has_error(judgement.findings):
                passed = False
                break
    if key_result_judgements:
        mean = sum(j.score for j in key_result_judgements) / len(key_result_judgements)
        overall = OBJECTIVE_WEIGHT * objective_judgement.score + (1 - OBJECTIVE_WEIGHT) * mean
    else:
        overall = objective_judgement.score
    return Evaluation(
        objective=objective_judgement,
        key_results=key_result_judgements,
        findings=set_findings,
        score=_capped(round(min(1.0, max(0.0, overall - set_penalty)), 3), not passed),
        passed=passed,
    )


def clear_caches() -> None:
    """Forget every cached reading and judgement (for benchmarks of the uncached cost)."""
    from . import text
    from .rules import key_result, objective

    text.clear_cache()
    objective.clear_cache()
    key_result.clear_cache()
