"""Real processes on loopback: kill the server mid-batch with SIGKILL, restart it on the same
database file, and check that nothing was lost and nothing done was paid for twice."""

from __future__ import annotations

import json
import time
from collections import Counter

import httpx
from support.servers import run_mock_model, run_realise_server

CONCURRENCY = 4
REQUESTS = [f"Improve the onboarding journey of team {name}" for name in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "ÆØÅÞ"]


def batch_status(url: str, batch_id: str) -> dict:
    return httpx.get(f"{url}/v1/batches/{batch_id}", timeout=5).json()


def result_rows(url: str, batch_id: str) -> list[dict]:
    response = httpx.get(f"{url}/v1/batches/{batch_id}/results", timeout=10)
    return [json.loads(line) for line in response.text.splitlines()]


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_killed_server_resumes_the_batch_and_never_resends_a_done_item(tmp_path):
    with run_mock_model(latency=0.3) as model:
        env = {
            "OPENAI_BASE_URL": model.base_url,
            "OPENAI_API_KEY": None,
            "REALISE_MODEL": "mock-model",
            "REALISE_ENGINE": None,
            "REALISE_API_KEYS": None,
            "REALISE_API_KEYS_FILE": None,
            "REALISE_DB_PATH": str(tmp_path / "realise.db"),
            "REALISE_BATCH_CONCURRENCY": str(CONCURRENCY),
            "REALISE_LOG_FORMAT": "json",
        }
        with run_realise_server(env=env) as server:
            items = [{"id": f"item-{n}", "request": text} for n, text in enumerate(REQUESTS)]
            batch_id = httpx.post(f"{server.url}/v1/batches", json={"items": items}, timeout=10).json()["id"]
            wait_for(lambda: batch_status(server.url, batch_id)["done"] >= 8)
            done_before_kill = {row["request"] for row in result_rows(server.url, batch_id) if row["status"] == "done"}
            server.kill()
        # First asks only: a re-ask with the evaluators' findings belongs to the same send.
        asked_before_kill = Counter(
            request["request_text"] for request in model.stats()["requests"] if not request["followup"]
        )

        with run_realise_server(env=env) as server:  # same database file
            wait_for(lambda: batch_status(server.url, batch_id)["status"] == "done")
            final = batch_status(server.url, batch_id)
            rows = result_rows(server.url, batch_id)
        asked = Counter(request["request_text"] for request in model.stats()["requests"] if not request["followup"])

    assert (final["total"], final["done"], final["failed"]) == (len(REQUESTS), len(REQUESTS), 0)
    assert [row["id"] for row in rows] == [item["id"] for item in items]  # exactly one result per item
    assert all(row["status"] == "done" and (row["objective"] or row["notice"]) for row in rows)

    asked_after_restart = asked - asked_before_kill
    assert asked_after_restart, "the kill should have come mid-batch"
    assert set(asked) == set(REQUESTS)
    # An item done before the kill is never sent again ...
    assert not done_before_kill & set(asked_after_restart)
    # ... and the only items sent twice are those in flight when the process died.
    sent_twice = {text for text, count in asked.items() if count > 1}
    assert max(asked.values()) <= 2
    assert sent_twice <= set(asked_before_kill) and len(sent_twice) <= CONCURRENCY
