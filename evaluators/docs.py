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


ADDING_A_RULE = (
    """## Adding a rule

A rule is a `Rule` (evaluators/rules/base.py): a stable `code`, what it `applies_to`
(`objective`, `key_result` or `set`), a default `severity` (and optionally `weight`), the
`message` (with `{detail}` filled from the hit), a `suggestion`, a one-line `description`,
an `example_fail` and an `example_pass`, and a `check`. The check is a pure function from a
reading to hits, each hit `((start, end), detail)`: the character span of the words that
triggered it (None for set rules) and the text for `{detail}`.

| `applies_to` | the check gets | what it offers |
|---|---|---|
"""
    "| `objective` | `ObjectiveReading` (rules/objective.py) | `.a` (the `Analysis`: `text`, `words`, `lemmas`, "
    "`kinds`, `span(i, j)`), `.lead`, `.output` (the span that makes it an output), `.mission`, `.language` |\n"
    "| `key_result` | `KeyResultContext` (rules/key_result.py) | `.r` (the `KeyResultReading`: `.a`, `.m` — the "
    "`Measures`: figures, baseline, target, deadline), `.mission`, `.activity`, `.measurable`, `.evidence_figures` |\n"
    "| `set` | `SetContext` (rules/set_rules.py) | `.objective` (its reading), `.key_results` (their readings), "
    "`.minimum`, `.maximum` (the expected count) |\n"
    """
A check runs once per distinct text and its hits are cached with the text, unless the rule
says `per_call=True` (it needs the request or the user's words). `languages` lists the
languages whose readings the check understands (English by default; `None` for any text):
a text in another language is never judged by it.

**A built-in rule**: add the `Rule` to the list at the end of its module
(`OBJECTIVE_RULES`, `KEY_RESULT_RULES`, `SET_RULES`); put any word lists in
evaluators/lexicon.py, the one home of the vocabulary, and any reading several rules share
in evaluators/grammar.py. Then:

1. write the sentences that must and must not trigger it in a test before tuning it
   (tests/test_evaluators_messy.py shows the pattern); its two examples are checked by
   tests/test_rules_doc.py;
2. regenerate this page: `.venv/bin/python -m evaluators.docs`;
3. run `.venv/bin/python -m bench.accuracy` and check no set drops (the rounds in
   tests/fixtures are scored there), and `bench/evaluators.py` for speed.

**An organisation's own rule** needs no fork: ship it in a package with an entry point in
the `realise.rules` group naming a `Rule`, a list of them, or a function returning them.
examples/rule-plugin/ is a complete one (`house_terms`: terms the organisation agreed not to
use in objectives):

```toml
[project.entry-points."realise.rules"]
house_terms = "realise_rule_example:RULES"
```

`pip install ./examples/rule-plugin` next to realise, restart, and every evaluation runs it;
`[rules.house_terms]` in the rules file sets its severity, weight or switches it off, like
any rule. A plugin that fails to import or reuses a code stops the service at start with a
message naming it; `REALISE_RULE_PLUGINS=0` starts without plugins.
"""
).splitlines()


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
        "Kinds: an objective's kind (*output*, *outcome*, or *unknown* for a language the rules",
        "do not read) and a key result's measurability come from the readings of the text, not",
        "from which rules fired: switching `output_verb` or `kr_unmeasurable` off in a rules file",
        "changes the findings, never the classification. Objectives led by explore, understand,",
        "learn, investigate, discover, validate, research, or test/find out/decide whether … have",
        "the *discovery* mission (or pass `mission` to `/v1/evaluations`): their key results may be",
        "research with a date or a reach (interviews, experiments, a go/no-go decision).",
        "",
        *ADDING_A_RULE,
    ]
    return "\n".join(lines)


def write_generated(path: Path, text: str, regenerate: str, argv: list[str] | None = None) -> int:
    """The command line of a generated document: write it, or with ``--check`` exit 1 if stale."""
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is out of date; run: {regenerate}")
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return write_generated(DOCS_PATH, render(), REGENERATE, argv)


if __name__ == "__main__":
    raise SystemExit(main())
