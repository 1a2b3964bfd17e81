"""Rules for an objective with its key results taken together."""

from __future__ import annotations

from typing import Final

from .base import NO_HITS, Example, Hit, Hits, Rule
from .key_result import KeyResultReading
from .objective import ObjectiveReading

DUPLICATE_JACCARD: Final = 0.8
RESTATEMENT_OVERLAP: Final = 0.75


class SetContext:
    __slots__ = ("objective", "key_results", "minimum", "maximum")

    def __init__(
        self,
        objective: ObjectiveReading,
        key_results: list[KeyResultReading],
        minimum: int,
        maximum: int,
    ) -> None:
        self.objective = objective
        self.key_results = key_results
        self.minimum = minimum
        self.maximum = maximum


def check_count(c: SetContext) -> Hits:
    n = len(c.key_results)
    if n < c.minimum:
        return [(None, f"{n} key result{'s' if n != 1 else ''}; at least {c.minimum} expected")]
    if n > c.maximum:
        return [(None, f"{n} key results; at most {c.maximum} expected")]
    return NO_HITS


def _shared(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """How many words of ``a`` are in ``b`` (both hold distinct words). Contents are a
    handful of words, so scanning a tuple costs less than building a set to look in."""
    shared = 0
    for word in a:
        for other in b:
            if other is word:  # lemmas are interned (text.Token): `is` is `==` here
                shared += 1
                break
    return shared


def check_duplicate(c: SetContext) -> Hits:
    content = [r.content for r in c.key_results]
    hits: list[Hit] = []
    for i in range(len(content)):
        a = content[i]
        if not a:
            continue
        for j in range(i + 1, len(content)):
            b = content[j]
            if not b:
                continue
            small, large = (len(a), len(b)) if len(a) <= len(b) else (len(b), len(a))
            if small < DUPLICATE_JACCARD * large:
                continue  # Jaccard is at most small / large
            shared = _shared(a, b) if len(a) <= len(b) else _shared(b, a)
            # Jaccard: shared / len(a | b), without building the union.
            if shared and shared >= DUPLICATE_JACCARD * (len(a) + len(b) - shared):
                hits.append((None, f"{i + 1} and {j + 1}"))
    return hits


def check_no_guardrail(c: SetContext) -> Hits:
    if not c.key_results:
        return NO_HITS
    for r in c.key_results:
        if r.guards or not r.pushes_growth:
            return NO_HITS
    return [(None, None)]


def check_restates_objective(c: SetContext) -> Hits:
    objective = c.objective.content
    if not objective:
        return NO_HITS
    hits: list[Hit] = []
    for index in range(len(c.key_results)):
        r = c.key_results[index]
        words = r.content
        if not words or r.m.has_figure or r.m.placeholders:
            continue  # a figure adds the measure the objective lacks
        if _shared(words, objective) >= RESTATEMENT_OVERLAP * len(words):
            hits.append((None, str(index + 1)))
    return hits


SET_RULES: Final[tuple[Rule, ...]] = (
    Rule(
        code="kr_count",
        applies_to="set",
        severity="warning",
        message="Unusual number of key results ({detail}).",
        suggestion="Two to five key results keep an objective focused and still show it from more than one side.",
        description=(
            "Fewer or more key results than the configured range (default 2–5; key_result_range overrides it per call)."
        ),
        example_fail=Example(
            "Patients get appointments when they need them", ("Same-week appointments rise from 40% to 70% by Q2",)
        ),
        example_pass=Example(
            "Patients get appointments when they need them",
            ("Same-week appointments rise from 40% to 70% by Q2", "Missed appointments fall from 9% to 5% by Q2"),
        ),
        check=check_count,
    ),
    Rule(
        code="kr_duplicate",
        applies_to="set",
        severity="warning",
        message="Key results {detail} are nearly the same.",
        suggestion="Merge them, or make each measure a different side of the objective.",
        description=f"Two key results whose meaningful words overlap with Jaccard ≥ {DUPLICATE_JACCARD}.",
        example_fail=Example(
            "Members renew without being chased",
            ("Renewal rate rises from 70% to 80% by June", "The renewal rate rises from 70% to 85% by June"),
        ),
        example_pass=Example(
            "Members renew without being chased",
            ("Renewal rate rises from 70% to 80% by June", "Reminder calls per renewal fall from 2 to 0.5 by June"),
        ),
        check=check_duplicate,
    ),
    Rule(
        code="no_guardrail",
        applies_to="set",
        severity="info",
        message="Every key result pushes growth or speed; none protects quality, reliability, satisfaction or cost.",
        suggestion="Add a guardrail key result, e.g. “Complaint rate stays below 1%” or “Error rate stays under 0.5%”.",
        description=(
            "All key results use growth/speed words (grow, increase, sign-ups, revenue, faster …) and none mentions "
            "quality, errors, satisfaction, churn, cost, reliability …"
        ),
        example_fail=Example(
            "More small businesses run payroll with us",
            ("Sign-ups grow from 300 to 600 a month by Q4", "Monthly revenue grows from £40k to £70k by Q4"),
        ),
        example_pass=Example(
            "More small businesses run payroll with us",
            ("Sign-ups grow from 300 to 600 a month by Q4", "Payroll errors stay below 0.5% of runs every month"),
        ),
        check=check_no_guardrail,
    ),
    Rule(
        code="kr_restates_objective",
        applies_to="set",
        severity="warning",
        message="Key result {detail} restates the objective instead of measuring it.",
        suggestion="Say how you will know the objective is met: a metric, a baseline and a target.",
        description=(
            f"A key result without a figure whose meaningful words come (≥ {RESTATEMENT_OVERLAP:.0%}) "
            "from the objective."
        ),
        example_fail=Example(
            "Improve the reliability of the payments service",
            ("Improve payments service reliability", "Failed payments fall from 2% to 0.5% by Q3"),
        ),
        example_pass=Example(
            "Improve the reliability of the payments service",
            ("Payments service uptime rises from 99.5% to 99.9% by Q3", "Failed payments fall from 2% to 0.5% by Q3"),
        ),
        check=check_restates_objective,
    ),
)
