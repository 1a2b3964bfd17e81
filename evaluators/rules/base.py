"""What a rule is: a stable code, its default wording, its docs, and a check."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mypy_extensions import mypyc_attr

from ..model import Finding, Severity

AppliesTo = Literal["objective", "key_result", "set"]

#: The languages the readings are built for (see evaluators/language.py).
ENGLISH_ONLY: frozenset[str] = frozenset(("en",))
JUDGED: frozenset[str] = frozenset(("en", "de", "fr", "es"))
#: What a finding costs the score by default, by severity.
DEFAULT_WEIGHTS: dict[str, float] = {"error": 0.5, "warning": 0.15, "info": 0.03}

#: What a check reports: the character span of the triggering words (None for set-level
#: findings) and an optional detail that fills ``{detail}`` in the rule's message.
Hit = tuple[tuple[int, int] | None, str | None]
Hits = Sequence[Hit]
#: What a check returns when it finds nothing (shared: checks run thousands of times a second).
NO_HITS: Hits = ()


@dataclass(frozen=True, slots=True)
class Example:
    """A docs/test example. For objective and key-result rules ``text`` is the judged
    text; for set rules it is the objective and ``key_results`` the set. ``objective``
    gives a key-result example its objective (for mission), ``evidence`` marks key
    results as generated (and is the request an objective was written for)."""

    text: str
    key_results: tuple[str, ...] = ()
    evidence: str | None = None
    objective: str | None = None

    def describe(self) -> str:
        parts = []
        if self.objective is not None:
            parts.append(f"(objective: “{self.objective}”) ")
        parts.append(f"“{self.text}”")
        if self.key_results:
            parts.append(" → " + "; ".join(f"“{kr}”" for kr in self.key_results))
        if self.evidence is not None:
            parts.append(f" (generated from: “{self.evidence}”)")
        return "".join(parts)


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    applies_to: AppliesTo
    severity: Severity  # the default; config may override it
    message: str  # may contain {detail}
    suggestion: str
    description: str  # what triggers it, for the docs table
    example_fail: Example
    example_pass: Example
    check: Callable[[Any], Hits]
    #: Score deducted per finding (from the judged text, or from the whole set for set
    #: rules); None: the default for its severity (DEFAULT_WEIGHTS).
    weight: float | None = None
    #: Languages whose readings the check understands (ISO 639-1); None: any text. A text in
    #: another language is never judged by it, so it never gets a verdict the rule cannot make.
    languages: frozenset[str] | None = frozenset(("en",))
    #: The check needs the call's context (the request, the user's words, the evidence), so
    #: its findings are computed on every call instead of being cached with the text.
    per_call: bool = False

    def render_message(self, detail: str | None) -> str:
        if "{detail}" in self.message:
            return self.message.replace("{detail}", detail or "")
        return self.message


@mypyc_attr(acyclic=True)  # kept on cached readings: untracked by the garbage collector
class Judged:
    """The findings last built from one reading, with the config (``serial``) and mission
    they were built for. ``output``: an objective judged an output, or a key result an
    activity; ``measurable``: key results only."""

    __slots__ = ("serial", "mission", "findings", "penalty", "score", "output", "measurable")

    def __init__(
        self,
        serial: int,
        mission: str,
        findings: tuple[Finding, ...],
        penalty: float,
        score: float,
        output: bool,
        measurable: bool,
    ) -> None:
        self.serial = serial
        self.mission = mission
        self.findings = findings
        self.penalty = penalty
        self.score = score
        self.output = output
        self.measurable = measurable
