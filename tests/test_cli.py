"""The ``realise`` console script, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def realise(*args: str, tmp_path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "REALISE_"))}
    env.update(REALISE_DB_PATH=str(tmp_path / "cli.db"), COLUMNS="160")
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, env=env, timeout=60)


def test_rewrite_json_matches_the_api_shape(tmp_path):
    done = realise("rewrite", "Upgrade Elasticsearch", "--context", "Out of support", "--json", "--candidates", "2", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["engine"]["provider"] == "offline"
    assert [c["rank"] for c in body["candidates"]] == [1, 2]
    assert body["assessment"]["kind"] == "output"


def test_rewrite_table_is_readable(tmp_path):
    done = realise("rewrite", "Build a customer portal", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "You asked for an output" in done.stdout
    assert "output_verb" in done.stdout


def test_evaluate_exit_code_says_whether_it_passed(tmp_path):
    bad = realise("evaluate", "Launch a podcast", "--kr", "Record 10 episodes", tmp_path=tmp_path)
    assert bad.returncode == 1
    assert "kr_activity" in bad.stdout
    good = realise(
        "evaluate", "Reach people who never read our reports",
        "--kr", "Podcast reaches 5,000 listeners per episode by June",
        "--kr", "Listener satisfaction stays at or above 4.2 out of 5 all quarter",
        "--json", tmp_path=tmp_path,
    )
    assert json.loads(good.stdout)["objective"]["kind"] == "outcome"


@pytest.mark.parametrize("args", [["rewrite"], ["rewrite", "x", "--candidates", "9"], ["nonsense"]])
def test_bad_arguments_are_usage_errors(tmp_path, args):
    done = realise(*args, tmp_path=tmp_path)
    assert done.returncode == 2
    assert "usage:" in done.stderr
