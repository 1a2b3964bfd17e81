"""How the evaluation rounds in tests/fixtures are scored, shared by bench/accuracy.py
(which prints every round) and the tests (which keep regression floors)."""

from __future__ import annotations

import json
from pathlib import Path

from evaluators import evaluate, judge_objective

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REAL_INPUT = FIXTURES / "real_input"
GARBAGE = FIXTURES / "garbage"


def codes(judgement) -> set[str]:
    """The finding codes of a judgement (objective, key result or evaluation)."""
    return {f.code for f in judgement.findings}


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def assessed_label(row: dict) -> str:
    """What the evaluators make of a request: output, outcome, vague (an error-level vague
    finding) or unknown (a language they do not read)."""
    judgement = judge_objective(row["text"])
    if judgement.kind == "unknown":
        return "unknown"
    if any(f.code == "vague" and f.severity == "error" for f in judgement.findings):
        return "vague"
    return judgement.kind


def assessed_right(row: dict) -> bool:
    """Right when it matches, or when a text in another language is marked unknown."""
    label = assessed_label(row)
    return label == row["label"] or (row.get("language", "en") != "en" and label == "unknown")


def judged_set(row: dict) -> bool:
    """Whether a candidate set passes, judged as the rewrite pipeline judges candidates."""
    request, context = row.get("request"), row.get("context")
    evidence = None if request is None else f"{request}\n{context or ''}"
    return evaluate(
        row["objective"],
        row["key_results"],
        context=context,
        evidence=evidence,
        request=request,
        mission=row.get("mission"),
    ).passed


def set_judged_right(row: dict) -> bool:
    return judged_set(row) == (row["label"] == "accept")
