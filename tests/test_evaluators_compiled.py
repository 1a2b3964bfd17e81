"""The evaluators compiled by mypyc: the wheel ``REALISE_MYPYC=1`` builds (setup.py), as the
container image runs them.

Parity: the compiled modules must judge exactly like the sources (a corpus through both, in
subprocesses). The module builds that wheel once (about a minute: mypyc and a C compiler)
and skips, saying why, where no C compiler is installed.
"""

from __future__ import annotations

import ast
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import evaluators

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
EXTENSION_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)

# Judges a JSON corpus (stdin) with whichever evaluators this interpreter loads; prints JSON.
_JUDGE = r"""
import json, sys
import msgspec
import evaluators
from evaluators import RULES, detect_mission, evaluate, judge_key_result, judge_objective, load_config

corpus = json.load(sys.stdin)
custom = load_config(corpus["config"])
out = {"compiled": evaluators.COMPILED, "status": evaluators.COMPILED_STATUS,
       "text_file": evaluators.text.__file__, "results": [],
       # what msgspec/Litestar read from the result types (OpenAPI, decoding stored results)
       "schema": msgspec.json.schema(evaluators.Evaluation)}
add = out["results"].append
for text in corpus["texts"]:
    add(judge_objective(text))
    add(judge_objective(text, custom))
    add(detect_mission(text))
    add(judge_key_result(text))
    add(judge_key_result(text, mission="discovery", evidence=text[: len(text) // 2]))
for index, (objective, key_results) in enumerate(corpus["cases"]):
    add(evaluate(objective, key_results))
    add(evaluate(objective, key_results,
                 context="About 40 customers a week ring us; it took 9 days in 2023." if index % 2 else None,
                 evidence=objective if index % 3 == 0 else None,
                 key_result_range=(2, 4) if index % 5 == 0 else None,
                 config=custom if index % 4 == 0 else None))
for rule in RULES.values():
    for example in (rule.example_fail, rule.example_pass):
        add(evaluate(example.objective or example.text, list(example.key_results) or [example.text],
                     evidence=example.evidence))
        add(judge_key_result(example.text, evidence=example.evidence))
sys.stdout.write(json.dumps(msgspec.to_builtins(out)))
"""


def _environment(compiled: Path | None) -> dict[str, str]:
    """The sources as installed (editable), or the unpacked compiled wheel in front of them."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if compiled is not None:
        env["PYTHONPATH"] = str(compiled)
    return env


@pytest.fixture(scope="module")
def compiled_wheel(tmp_path_factory) -> Path:
    """The wheel the image installs, built here and unpacked: the directory to import it from."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}): mypyc cannot build the compiled wheel here")
    out = tmp_path_factory.mktemp("compiled-wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        env={**os.environ, "REALISE_MYPYC": "1"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = zipfile.ZipFile(next(out.glob("realise-*.whl")))
    site = out / "site"
    wheel.extractall(site)
    return site


def _run(code: str, env: dict[str, str], stdin: str = "") -> tuple[dict, str]:
    # -P: the checkout (the working directory) is not put first on the path.
    result = subprocess.run(
        [sys.executable, "-P", "-c", code], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def _corpus(tmp_path: Path) -> dict:
    texts: list[str] = []
    tree = ast.parse((TESTS / "test_evaluators_sentences.py").read_text(encoding="utf-8"))
    for node in tree.body:  # every sentence list of the sentence tests
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            texts += [
                item.value for item in node.value.elts if isinstance(item, ast.Constant) and isinstance(item.value, str)
            ]
    fixtures = TESTS / "fixtures"
    for line in (fixtures / "hostile_requests.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            texts.append(line.replace("\\n", "\n"))
    texts += [line for line in (fixtures / "user_stories.txt").read_text(encoding="utf-8").splitlines() if line]
    texts += [
        line.split("\t")[2]
        for line in (fixtures / "jira_titles.tsv").read_text(encoding="utf-8").splitlines()[1:]
        if line.count("\t") >= 2
    ]
    texts += ["", " ", "KR1: ", "Sales:", "Ünïcödé — “quotes” 50 % ≥ 3×", "x" * 2000]
    assert len(texts) > 200

    from bench.evaluators import make_cases

    cases = [[objective, key_results] for objective, key_results in make_cases(300, seed=11)]
    cases += [[texts[i], [texts[(i * 7 + j) % len(texts)] for j in range(i % 6)]] for i in range(0, len(texts), 3)]

    config = tmp_path / "rules.toml"
    config.write_text(
        '[key_results]\nmin = 1\nmax = 2\n\n[rules.output_verb]\nseverity = "warning"\n'
        "weight = 0.2\n\n[rules.solution_named]\nenabled = false\n",
        encoding="utf-8",
    )
    return {"texts": texts, "cases": cases, "config": str(config)}


def _first_difference(pure: list, compiled: list) -> str:
    for index, (a, b) in enumerate(zip(pure, compiled)):
        if a != b:
            return f"result #{index}:\n  pure:     {a}\n  compiled: {b}"
    return f"{len(pure)} pure results against {len(compiled)} compiled"


# ------------------------------------------------------------------------------ parity


def test_the_compiled_wheel_judges_like_the_sources(tmp_path, compiled_wheel):
    corpus = json.dumps(_corpus(tmp_path))
    pure, _ = _run(_JUDGE, _environment(None), stdin=corpus)
    compiled, stderr = _run(_JUDGE, _environment(compiled_wheel), stdin=corpus)
    assert not pure["compiled"] and pure["text_file"].endswith(".py"), pure["status"]
    assert compiled["compiled"], f"the compiled evaluators did not load: {compiled['status']}\n{stderr}"
    assert compiled["text_file"].endswith(EXTENSION_SUFFIXES)
    assert len(pure["results"]) > 1500
    assert pure["results"] == compiled["results"], _first_difference(pure["results"], compiled["results"])
    assert pure["schema"] == compiled["schema"]


def test_the_editable_install_runs_the_sources():
    """An edit takes effect at once in development: nothing compiled shadows a source."""
    assert not evaluators.COMPILED, evaluators.COMPILED_STATUS
    assert not list((ROOT / "evaluators").rglob("*" + EXTENSION_SUFFIXES[0]))
    assert evaluators.text.__file__ == str(ROOT / "evaluators" / "text.py")


_TRACKING = r"""
import gc, json
import evaluators
from evaluators import evaluate
from evaluators.rules import key_result, objective
from evaluators import text

for _ in range(2):  # the caches keep what is asked for twice
    evaluate("Patients book appointments online", ["Online bookings rise from 15% to 60% by June",
                                                   "Launch the booking app"])
gc.collect()  # tuples of strings and numbers are untracked at their first collection
reading = key_result.read_key_result("Online bookings rise from 15% to 60% by June")
held = [reading, reading.a, reading.m, reading.content, reading.judged,
        objective.read_objective("Patients book appointments online"),
        text._analyses.current, key_result._readings.current, objective._readings.current]
print(json.dumps({"compiled": evaluators.COMPILED, "tracked": [gc.is_tracked(o) for o in held]}))
"""


def test_compiled_caches_cost_the_garbage_collector_nothing(compiled_wheel):
    """Cached readings are acyclic compiled objects holding tuples: the collector tracks
    none of them, nor the cache dicts holding them (a third of the time of an uncached
    evaluation went to collections scanning them)."""
    result, stderr = _run(_TRACKING, _environment(compiled_wheel))
    assert result["compiled"], stderr
    assert result["tracked"] == [False] * 9
