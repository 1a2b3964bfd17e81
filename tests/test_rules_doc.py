"""docs/rules.md is generated from the rule catalogue, and every rule's documented
examples behave as documented."""

from __future__ import annotations

import pytest

from evaluators import RULES, detect_mission, evaluate, judge_key_result, judge_objective
from evaluators.docs import DOCS_PATH, REGENERATE, render
from evaluators.rules import Example, Rule


def test_rules_doc_is_up_to_date() -> None:
    current = DOCS_PATH.read_text(encoding="utf-8") if DOCS_PATH.exists() else ""
    assert current == render(), f"docs/rules.md is out of date; regenerate it with: {REGENERATE}"


def test_every_rule_is_documented() -> None:
    text = render()
    for code in RULES:
        assert f"| `{code}` |" in text


def _codes(rule: Rule, example: Example) -> set[str]:
    if rule.applies_to == "objective":
        # An objective rule's example evidence is the request the objective was written for.
        return {f.code for f in judge_objective(example.text, request=example.evidence).findings}
    if rule.applies_to == "key_result":
        mission = detect_mission(example.objective) if example.objective else "delivery"
        judgement = judge_key_result(example.text, evidence=example.evidence, mission=mission)
        return {f.code for f in judgement.findings}
    return {f.code for f in evaluate(example.text, list(example.key_results)).findings}


@pytest.mark.parametrize("code", list(RULES))
def test_example_fail_fires_the_rule(code: str) -> None:
    rule = RULES[code]
    assert code in _codes(rule, rule.example_fail), rule.example_fail


@pytest.mark.parametrize("code", list(RULES))
def test_example_pass_does_not_fire_the_rule(code: str) -> None:
    rule = RULES[code]
    assert code not in _codes(rule, rule.example_pass), rule.example_pass


@pytest.mark.parametrize("code", list(RULES))
def test_rule_is_fully_described(code: str) -> None:
    rule = RULES[code]
    assert rule.code == code
    assert rule.severity in ("error", "warning", "info")
    assert rule.message and rule.suggestion and rule.description
