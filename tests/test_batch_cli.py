"""``realise batch``, run as a user would: in-process, resumed, and against a server."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from support.servers import run_realise_server

from rewriter.batch.export import COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "REALISE_"))}
    env.update(REALISE_DB_PATH=str(tmp_path / "cli.db"), COLUMNS="160")
    return env


def realise(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "batch", *args],
        capture_output=True,
        text=True,
        env=clean_env(tmp_path),
        timeout=60,
    )


def batches_in(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "cli.db") as db:
        return db.execute("SELECT COUNT(*) FROM batches").fetchone()[0]


def test_in_process_writes_every_item_with_the_api_columns_and_resume_reuses_the_batch(tmp_path):
    out = tmp_path / "outcomes.csv"
    done = realise(str(FIXTURES / "user_stories.txt"), "--out", str(out), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    with out.open(newline="") as file:
        reader = csv.DictReader(file)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == COLUMNS
    assert len(rows) == 20 and all(row["status"] == "done" and (row["objective"] or row["notice"]) for row in rows)
    assert "cached (no model call)" in done.stderr  # the summary table

    again = realise(str(FIXTURES / "user_stories.txt"), "--resume", tmp_path=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "resuming batch" in again.stderr
    assert len(again.stdout.splitlines()) == 20 and json.loads(again.stdout.splitlines()[0])["status"] == "done"
    assert batches_in(tmp_path) == 1


def test_against_a_server_the_file_is_uploaded_followed_and_downloaded(tmp_path):
    env = {"OPENAI_API_KEY": None, "OPENAI_BASE_URL": None, "REALISE_MODEL": None, "REALISE_ENGINE": "offline",
           "REALISE_API_KEYS": "cli-test-key", "REALISE_DB_PATH": str(tmp_path / "server.db")}  # fmt: skip
    out = tmp_path / "jira.jsonl"
    with run_realise_server(env=env) as server:
        args = [str(FIXTURES / "jira_titles.tsv"), "--url", server.url, "--api-key", "cli-test-key"]
        done = realise(*args, "--out", str(out), tmp_path=tmp_path)
        assert done.returncode == 0, done.stderr
        again = realise(*args, "--resume", "--out", str(out), tmp_path=tmp_path)
        assert again.returncode == 0, again.stderr
        assert "resuming batch" in again.stderr
        refused = realise(str(FIXTURES / "jira_titles.tsv"), "--url", server.url, tmp_path=tmp_path)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["id"] for row in rows][:2] == ["MESOS-313", "MESOS-336"] and len(rows) == 11
    assert refused.returncode == 1 and "401" in refused.stderr


def test_unreadable_files_and_bad_flags_are_usage_errors(tmp_path):
    workbook = tmp_path / "backlog.xlsx"
    workbook.write_bytes(b"PK\x03\x04\x14\x00")
    unreadable = realise(str(workbook), tmp_path=tmp_path)
    assert unreadable.returncode == 2 and "export it as CSV" in " ".join(unreadable.stderr.split())  # rich wraps lines
    remote_concurrency = realise(
        str(FIXTURES / "user_stories.txt"), "--url", "http://127.0.0.1:9", "--concurrency", "4", tmp_path=tmp_path
    )
    assert remote_concurrency.returncode == 2 and "REALISE_BATCH_CONCURRENCY" in remote_concurrency.stderr


def test_in_process_refuses_a_database_whose_batches_a_running_server_runs_and_stores_nothing(tmp_path):
    env = {"REALISE_ENGINE": "offline", "REALISE_DB_PATH": str(tmp_path / "cli.db"), "REALISE_LOG_LEVEL": "WARNING"}
    with run_realise_server(env=env):
        before = batches_in(tmp_path)
        refused = realise(str(FIXTURES / "user_stories.txt"), "--out", str(tmp_path / "out.csv"), tmp_path=tmp_path)
        assert refused.returncode == 2
        said = " ".join((refused.stdout + refused.stderr).split())  # unwrapped
        assert "is running the batches of" in said and "--url URL" in said
        assert batches_in(tmp_path) == before  # nothing queued that the server would then run
    # With the server gone, the same command runs.
    done = realise(str(FIXTURES / "user_stories.txt"), "--out", str(tmp_path / "out.csv"), tmp_path=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
