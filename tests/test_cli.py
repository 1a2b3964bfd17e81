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
    done = realise(
        "rewrite",
        "Upgrade Elasticsearch",
        "--context",
        "Out of support",
        "--json",
        "--candidates",
        "2",
        tmp_path=tmp_path,
    )
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
        "evaluate",
        "Reach people who never read our reports",
        "--kr",
        "Podcast reaches 5,000 listeners per episode by June",
        "--kr",
        "Listener satisfaction stays at or above 4.2 out of 5 all quarter",
        "--json",
        tmp_path=tmp_path,
    )
    assert json.loads(good.stdout)["objective"]["kind"] == "outcome"


def test_evaluate_takes_the_request_and_the_mission(tmp_path):
    echoed = realise(
        "evaluate",
        "Make the Send a weekly newsletter to users effortless for users",
        "--kr",
        "Newsletter readers rise from a baseline to be measured to a target to be agreed by Q3",
        "--request",
        "Send a weekly newsletter to users",
        "--json",
        tmp_path=tmp_path,
    )
    codes = {f["code"] for f in json.loads(echoed.stdout)["objective"]["findings"]}
    assert "echoes_request" in codes and echoed.returncode == 1
    research = realise(
        "evaluate",
        "Learn whether clinics would pay for online booking",
        "--kr",
        "Interview 15 practice managers by May",
        "--kr",
        "Decide go or no-go on a pilot by June",
        "--mission",
        "discovery",
        "--json",
        tmp_path=tmp_path,
    )
    body = json.loads(research.stdout)
    assert all(kr["measurable"] for kr in body["key_results"]), body
    assert realise("evaluate", "x", "--mission", "maybe", tmp_path=tmp_path).returncode == 2


@pytest.mark.parametrize("args", [["rewrite"], ["rewrite", "x", "--candidates", "9"], ["nonsense"]])
def test_bad_arguments_are_usage_errors(tmp_path, args):
    done = realise(*args, tmp_path=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert "Usage: realise" in done.stderr and "--help' for help" in done.stderr
