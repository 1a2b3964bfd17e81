"""The optional mypyc-compiled evaluators (evaluators/_accel.py, evaluators/_build.py).

Parity: the compiled modules must judge exactly like pure Python (a corpus through both, in
subprocesses). Staleness: a build whose manifest does not match the sources, the Python or
the files on disk is never used. No test compiles (that takes ~30 s): the parity and the
end-to-end staleness tests use the build `make install` made, and skip when there is none.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import evaluators
from evaluators import _accel

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent

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

_STATUS = r"""
import json, sys
import evaluators
print(json.dumps({"compiled": evaluators.COMPILED, "status": evaluators.COMPILED_STATUS,
                  "package": evaluators.__file__, "text_file": evaluators.text.__file__,
                  "score": evaluators.evaluate("Customers get answers faster",
                                               ["Wait time falls from 9 to 3 minutes by June"]).score}))
"""


def _environment(pure: bool, **extra: str) -> dict[str, str]:
    # REALISE_EVALUATORS_COMPILED_DIR is kept: the parity test checks the build it points at.
    env = {k: v for k, v in os.environ.items() if k not in (_accel.PURE_ENV, "PYTHONPATH")}
    if pure:
        env[_accel.PURE_ENV] = "1"
    env.update(extra)
    return env


def _run(code: str, env: dict[str, str], cwd: Path = ROOT, stdin: str = "") -> tuple[dict, str]:
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, input=stdin,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def _corpus(tmp_path: Path) -> dict:
    texts: list[str] = []
    tree = ast.parse((TESTS / "test_evaluators_sentences.py").read_text(encoding="utf-8"))
    for node in tree.body:  # every sentence list of the sentence tests
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            texts += [item.value for item in node.value.elts
                      if isinstance(item, ast.Constant) and isinstance(item.value, str)]
    fixtures = TESTS / "fixtures"
    for line in (fixtures / "hostile_requests.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            texts.append(line.replace("\\n", "\n"))
    texts += [line for line in (fixtures / "user_stories.txt").read_text(encoding="utf-8").splitlines() if line]
    texts += [line.split("\t")[2] for line in (fixtures / "jira_titles.tsv").read_text(encoding="utf-8").splitlines()[1:]
              if line.count("\t") >= 2]
    texts += ["", " ", "KR1: ", "Sales:", "Ünïcödé — “quotes” 50 % ≥ 3×", "x" * 2000]
    assert len(texts) > 200

    from bench.evaluators import make_cases

    cases = [[objective, key_results] for objective, key_results in make_cases(300, seed=11)]
    cases += [[texts[i], [texts[(i * 7 + j) % len(texts)] for j in range(i % 6)]] for i in range(0, len(texts), 3)]

    config = tmp_path / "rules.toml"
    config.write_text('[key_results]\nmin = 1\nmax = 2\n\n[rules.output_verb]\nseverity = "warning"\n'
                      'weight = 0.2\n\n[rules.solution_named]\nenabled = false\n', encoding="utf-8")
    return {"texts": texts, "cases": cases, "config": str(config)}


def _first_difference(pure: list, compiled: list) -> str:
    for index, (a, b) in enumerate(zip(pure, compiled)):
        if a != b:
            return f"result #{index}:\n  pure:     {a}\n  compiled: {b}"
    return f"{len(pure)} pure results against {len(compiled)} compiled"


def _require_valid_build() -> Path:
    root, reason = _accel.check()
    if root is None:
        pytest.skip(f"no usable compiled evaluators ({reason}); `make install` builds them")
    return root


# ------------------------------------------------------------------------------ parity

def test_compiled_and_pure_python_judge_identically(tmp_path):
    _require_valid_build()
    corpus = json.dumps(_corpus(tmp_path))
    pure, _ = _run(_JUDGE, _environment(pure=True), stdin=corpus)
    compiled, stderr = _run(_JUDGE, _environment(pure=False), stdin=corpus)
    assert not pure["compiled"] and pure["text_file"].endswith(".py"), pure["status"]
    if not compiled["compiled"]:  # a valid manifest, yet the modules did not load
        pytest.fail(f"the compiled evaluators did not load: {compiled['status']}\n{stderr}")
    assert compiled["text_file"].endswith(_accel.ext_suffix())
    assert len(pure["results"]) > 1500
    assert pure["results"] == compiled["results"], _first_difference(pure["results"], compiled["results"])
    assert pure["schema"] == compiled["schema"]


def test_this_process_reports_what_it_loaded():
    suffix = _accel.ext_suffix() if evaluators.COMPILED else ".py"
    for name in _accel.module_names():
        assert sys.modules[name].__file__.endswith(suffix), (name, evaluators.COMPILED_STATUS)


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


def test_compiled_caches_cost_the_garbage_collector_nothing():
    """Cached readings are acyclic compiled objects holding tuples: the collector tracks
    none of them, nor the cache dicts holding them (a third of the time of an uncached
    evaluation went to collections scanning them)."""
    _require_valid_build()
    result, stderr = _run(_TRACKING, _environment(pure=False))
    assert result["compiled"], stderr
    assert result["tracked"] == [False] * 9


# --------------------------------------------------------------------------- staleness

def test_an_edited_source_falls_back_to_pure_python(tmp_path):
    """The real build, with a copy of the package: used while the copy is identical, not
    once a source is edited or added, and used again when the edit is undone."""
    build = _require_valid_build().parent.parent
    package = tmp_path / "src" / "evaluators"
    shutil.copytree(_accel.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    env = _environment(pure=False, PYTHONPATH=str(package.parent), **{_accel.DIR_ENV: str(build)})

    def status() -> dict:
        result, _ = _run(_STATUS, env, cwd=tmp_path)
        assert Path(result["package"]).parent == package  # the copy, not the repository
        return result

    same = status()
    assert same["compiled"] and same["text_file"].startswith(str(build)), same["status"]

    text = package / "text.py"
    original = text.read_text(encoding="utf-8")
    text.write_text(original + "\n# edited\n", encoding="utf-8")
    edited = status()
    assert not edited["compiled"] and "stale" in edited["status"]
    assert edited["text_file"] == str(text)
    assert edited["score"] == same["score"]

    text.write_text(original, encoding="utf-8")
    (package / "rules" / "new_rule.py").write_text("X = 1\n", encoding="utf-8")
    added = status()
    assert not added["compiled"] and "stale" in added["status"]

    (package / "rules" / "new_rule.py").unlink()
    assert status()["compiled"]


def _fake_build(directory: Path, **overrides: object) -> Path:
    """A manifest that matches the current sources, with empty files for the modules."""
    suffix = _accel.ext_suffix()
    files = [f"evaluators/{name.removesuffix('.py')}{suffix}" for name in _accel.COMPILED_MODULES]
    files.append(_accel.RUNTIME + suffix)
    for name in files:
        (directory / "lib-fake" / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / "lib-fake" / name).write_bytes(b"")
    manifest = {"format": _accel.FORMAT, "source_hash": _accel.source_hash(), "python": _accel.python_tag(),
                "lib": "lib-fake", "files": files, **overrides}
    (directory / _accel.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return directory


def test_manifest_checks(tmp_path):
    assert _accel.check(tmp_path / "nothing") == (None, f"no compiled build in {tmp_path / 'nothing'}")
    root, reason = _accel.check(_fake_build(tmp_path / "ok"))
    assert root == tmp_path / "ok" / "lib-fake" / "evaluators", reason

    root, reason = _accel.check(_fake_build(tmp_path / "stale", source_hash="0" * 64))
    assert root is None and reason.startswith("stale")
    root, reason = _accel.check(_fake_build(tmp_path / "abi", python="cpython-310 3.10.0 .cpython-310-x86_64-linux-gnu.so"))
    assert root is None and reason.startswith("built for")
    root, reason = _accel.check(_fake_build(tmp_path / "format", format=0))
    assert root is None and "format" in reason

    incomplete = _fake_build(tmp_path / "incomplete")
    (incomplete / "lib-fake" / "evaluators" / "rules" / f"base{_accel.ext_suffix()}").unlink()
    root, reason = _accel.check(incomplete)
    assert root is None and "rules/base" in reason

    (tmp_path / "garbled").mkdir()
    (tmp_path / "garbled" / _accel.MANIFEST).write_text("{not json", encoding="utf-8")
    assert _accel.check(tmp_path / "garbled")[0] is None


def test_the_source_hash_follows_content_not_location(tmp_path):
    copy = tmp_path / "evaluators"
    shutil.copytree(_accel.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert _accel.source_hash(copy) == _accel.source_hash()
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "text.cpython-311.pyc").write_bytes(b"not a source")
    (copy / "rules.toml").write_text("# data, not compiled\n", encoding="utf-8")
    assert _accel.source_hash(copy) == _accel.source_hash()
    with (copy / "grammar.py").open("a", encoding="utf-8") as handle:
        handle.write(" ")
    assert _accel.source_hash(copy) != _accel.source_hash()


def test_a_build_that_does_not_import_falls_back_with_a_warning(tmp_path):
    fake = _fake_build(tmp_path)  # valid manifest, but the "extension modules" are empty files
    result, stderr = _run(_STATUS, _environment(pure=False, **{_accel.DIR_ENV: str(fake)}))
    assert not result["compiled"] and "failed to import" in result["status"]
    assert result["text_file"] == str(_accel.PACKAGE_DIR / "text.py")
    assert "compiled evaluators not used" in stderr
    pure, _ = _run(_STATUS, _environment(pure=True))
    assert result["score"] == pure["score"]


def test_the_environment_variable_forces_pure_python(tmp_path):
    fake = _fake_build(tmp_path)
    result, stderr = _run(_STATUS, _environment(pure=True, **{_accel.DIR_ENV: str(fake)}))
    assert not result["compiled"] and _accel.PURE_ENV in result["status"]
    assert result["text_file"].endswith(".py") and "not used" not in stderr


def test_nothing_compiled_lives_in_the_source_tree():
    strays = [p for p in _accel.PACKAGE_DIR.rglob("*") if p.suffix in {".so", ".c", ".h", ".pyd", ".o"}]
    assert not strays
