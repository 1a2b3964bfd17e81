"""Generate docs/rules.md from the rule catalogue.

    .venv/bin/python -m evaluators.docs            # writes docs/rules.md
    .venv/bin/python -m evaluators.docs --check    # exits 1 if docs/rules.md is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

from .config import default_config
from .rules import RULES

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
REGENERATE = ".venv/bin/python -m evaluators.docs"

_APPLIES_TO = {"objective": "objective", "key_result": "key result", "set": "objective + key results"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    config = default_config()
    lines = [
        "# Evaluator rules",
        "",
        f"<!-- Generated from evaluators/rules by `{REGENERATE}`; do not edit by hand. -->",
        "",
        "Every candidate objective and key result is judged by these rules. Each finding has a",
        "stable `code`, a severity (an **error** fails the evaluation), the character span of the",
        "words that triggered it (none for set-level rules) and a suggestion.",
        "",
        "Each rule declares its default severity and score weight (error 0.5, warning 0.15, info",
        "0.03 unless it says otherwise). An organisation's TOML file (`REALISE_RULES_FILE`) overrides",
        "only what it names: severity, weight and on/off per rule, and the expected number of key results",
        f"too (default {config.key_result_min}–{config.key_result_max}):",
        "",
        "```toml",
        "[key_results]",
        "min = 3",
        "max = 4",
        "",
        "[rules.kr_no_deadline]",
        'severity = "warning"',
        "weight = 0.1",
        "",
        "[rules.no_guardrail]",
        "enabled = false",
        "```",
        "",
        "Scores: each text starts at 1 and loses the weight of each of its findings (defaults:",
        "error 0.5, warning 0.15, info 0.03); the overall score is 0.4 × objective + 0.6 × the mean",
        "key-result score, minus the weights of set-level findings, clamped to [0, 1].",
        "",
        "| Code | Applies to | Default severity | What triggers it | Fails | Passes |",
        "|---|---|---|---|---|---|",
    ]
    for code, rule in RULES.items():
        settings = config.rules[code]
        severity = settings.severity + ("" if settings.enabled else " (off)")
        lines.append(
            f"| `{code}` | {_APPLIES_TO[rule.applies_to]} | {severity} | {_cell(rule.description)} "
            f"| {_cell(rule.example_fail.describe())} | {_cell(rule.example_pass.describe())} |"
        )
    lines += [
        "",
        "Kinds: an objective is an *output* when `output_verb` fires, else an *outcome*; a key",
        "result is an *output* when `kr_activity` fires and is *measurable* unless",
        "`kr_unmeasurable` fires. Objectives led by explore, understand, learn, investigate,",
        "discover, validate, research, or test/find out/decide whether … have the *discovery*",
        "mission: their key results may be research milestones (interviews, experiments).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        current = DOCS_PATH.read_text(encoding="utf-8") if DOCS_PATH.exists() else ""
        if current != text:
            print(f"{DOCS_PATH} is out of date; run: {REGENERATE}")
            return 1
        return 0
    DOCS_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOCS_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOCS_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
