"""Result types shared by every rule.

These are msgspec Structs so the HTTP layer can return them as they are (no copying),
and so building thousands of them per second stays cheap.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Severity = Literal["error", "warning", "info"]
Kind = Literal["output", "outcome", "unknown"]  # unknown: a language the rules do not read
Mission = Literal["delivery", "discovery"]

SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


# gc=False: a finding holds only strings and a pair of ints, so it can never be part of
# a reference cycle, and the judgement caches keep thousands of them alive: untracked,
# they cost the garbage collector nothing at each full collection.
class Finding(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One thing a rule noticed about one text."""

    code: str
    severity: Severity
    message: str
    # [start, end) character offsets into the judged text, or None for set-level findings.
    span: tuple[int, int] | None = None
    suggestion: str | None = None


class ObjectiveJudgement(msgspec.Struct, kw_only=True):
    text: str
    kind: Kind
    score: float
    findings: list[Finding]
    mission: Mission = "delivery"
    language: str = "en"  # ISO 639-1, as detected


class KeyResultJudgement(msgspec.Struct, kw_only=True):
    text: str
    kind: Kind
    measurable: bool | None  # None: a language the rules do not read
    score: float
    findings: list[Finding]
    language: str = "en"  # ISO 639-1, as detected


class Evaluation(msgspec.Struct, kw_only=True):
    objective: ObjectiveJudgement
    key_results: list[KeyResultJudgement]
    findings: list[Finding]
    score: float
    passed: bool
