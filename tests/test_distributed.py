"""The distributed mode: PostgreSQL holds the batches, ``realise worker`` processes run their items
as Procrastinate jobs, and the provider's limit is shared by all of them.

Real parts throughout: a PostgreSQL server (tests/support/postgres.py), the mock model on
loopback, and workers as the separate processes operators run. The API runs in-process.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from contextlib import ExitStack

import httpx
from litestar.testing import TestClient

from api.app import create_app
from api.config import Settings
from tests.support.batches import wait_until_ended
from tests.support.servers import run_mock_model, run_realise_worker

# Requests the mock model answers with candidates that pass the evaluators (it echoes others,
# and an answer with no candidate is not cached), so that duplicates can be served from the cache.
REQUESTS = [
    "The onboarding emails",
    "Password reset page",
    "Search is slow and out of support",
    "Monthly invoice export",
    "Admin audit log",
    "Enterprise SSO login",
    "Explore personalised recommendations",
    "The CI pipeline",
]


def worker_env(database_url: str, model_url: str, **extra: str) -> dict[str, str]:
    return {
        "REALISE_DATABASE_URL": database_url, "OPENAI_BASE_URL": model_url, "OPENAI_API_KEY": "sk-test-worker",
        "REALISE_MODEL": "mock-model", "REALISE_LOG_FORMAT": "json", "REALISE_LOG_LEVEL": "INFO",
        "REALISE_WORKER_TIMEOUT": "3", **extra,
    }  # fmt: skip


def api_settings(database_url: str, model_url: str, **overrides: object) -> Settings:
    return Settings(
        database_url=database_url, openai_base_url=model_url, openai_api_key="sk-test-api", model="mock-model",
        log_format="json", rate_limit="0", worker_timeout=3, **overrides,  # type: ignore[arg-type]
    )  # fmt: skip


def backlog(texts: list[str]) -> dict[str, object]:
    return {"items": [{"id": str(n), "request": text} for n, text in enumerate(texts, start=1)]}


def first_calls(model) -> Counter[str]:
    """Model calls per request, re-asks about an earlier answer left out."""
    return Counter(r["request_text"] for r in model.stats()["requests"] if not r["followup"])


def test_workers_run_a_batch_stored_by_the_api_and_duplicates_are_paid_once(postgres_url):
    texts = REQUESTS * 3  # every request three times: two in three are duplicates
    with run_mock_model(latency=0.05) as model, ExitStack() as workers:
        for _ in range(2):
            workers.enter_context(run_realise_worker(worker_env(postgres_url, model.base_url)))
        with TestClient(app=create_app(api_settings(postgres_url, model.base_url))) as client:
            ready = client.get("/ready").json()
            assert ready["checks"]["queue"] == "2 workers" and ready["checks"]["database"] == "ok"
            created = client.post("/v1/batches", json=backlog(texts))
            assert created.status_code == 202, created.text
            ended = wait_until_ended(client, created.json()["id"], timeout=90)
            assert (ended["status"], ended["done"], ended["failed"]) == ("done", len(texts), 0)
            assert ended["cached"] == len(texts) - len(REQUESTS)
            rows = client.get(f"/v1/batches/{ended['id']}/results").text.splitlines()
            assert len(rows) == len(texts)
            # Each distinct request went to the model once, whichever worker took its copies.
            assert first_calls(model) == Counter(REQUESTS)


def test_the_provider_limit_holds_across_workers(postgres_url):
    texts = [f"{text} (team {n})" for n in range(6) for text in REQUESTS]
    with run_mock_model(latency=0.3) as model, ExitStack() as workers:
        for _ in range(3):
            env = worker_env(postgres_url, model.base_url, REALISE_BATCH_CONCURRENCY="4")
            workers.enter_context(run_realise_worker(env, ["--concurrency", "20"]))
        with TestClient(app=create_app(api_settings(postgres_url, model.base_url, batch_concurrency=4))) as client:
            batch = client.post("/v1/batches", json=backlog(texts)).json()
            ended = wait_until_ended(client, batch["id"], timeout=90)
        stats = model.stats()
    assert ended["done"] == len(texts)
    # Sixty jobs could run at once; the provider saw at most the shared limit, and that limit was used.
    assert stats["max_in_flight"] == 4, stats["max_in_flight"]


def test_cancel_from_the_api_stops_the_workers_and_retry_finishes_the_rest(postgres_url):
    texts = [f"{text} (site {n})" for n in range(10) for text in REQUESTS]
    with (
        run_mock_model(latency=0.4) as model,
        run_realise_worker(worker_env(postgres_url, model.base_url, REALISE_BATCH_CONCURRENCY="4")),
    ):
        with TestClient(app=create_app(api_settings(postgres_url, model.base_url))) as client:
            batch = client.post("/v1/batches", json=backlog(texts)).json()
            deadline = time.monotonic() + 30
            while client.get(f"/v1/batches/{batch['id']}").json()["done"] < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
            cancelled = client.delete(f"/v1/batches/{batch['id']}").json()
            assert cancelled["status"] == "cancelled"
            time.sleep(2)  # the workers notice within a second and stop their calls in flight
            calls_after_cancel = model.stats()["calls"]
            time.sleep(1.5)
            assert model.stats()["calls"] == calls_after_cancel  # nothing more is sent for it
            stopped = client.get(f"/v1/batches/{batch['id']}").json()
            assert stopped["status"] == "cancelled" and stopped["done"] < len(texts)
            assert client.post(f"/v1/batches/{batch['id']}/retry").status_code == 202
            ended = wait_until_ended(client, batch["id"], timeout=90)
            assert (ended["status"], ended["done"], ended["failed"]) == ("done", len(texts), 0)
            rows = [
                httpx.Response(200, content=line).json()
                for line in client.get(f"/v1/batches/{batch['id']}/results").text.splitlines()
            ]
            assert sorted(int(row["id"]) for row in rows) == list(range(1, len(texts) + 1))


def test_rate_limits_slow_every_worker_and_lose_nothing(postgres_url):
    texts = [f"{text} (region {n})" for n in range(5) for text in REQUESTS]
    with run_mock_model(latency=0.05, reject_rate=0.3, retry_after=0.2) as model, ExitStack() as stack:
        env = worker_env(postgres_url, model.base_url, REALISE_BATCH_CONCURRENCY="8", REALISE_RETRY_ATTEMPTS="1")
        workers = [stack.enter_context(run_realise_worker(env)) for _ in range(2)]
        with TestClient(app=create_app(api_settings(postgres_url, model.base_url))) as client:
            batch = client.post("/v1/batches", json=backlog(texts)).json()
            ended = wait_until_ended(client, batch["id"], timeout=120)
        stats = model.stats()
        logs = "".join(worker.output_tail(10_000) for worker in workers)
    assert stats["rejected"] > 0 and stats["max_in_flight"] <= 8
    # Every item ended (an item fails only after max_attempts refusals in a row), none twice.
    assert ended["status"] == "done" and ended["done"] + ended["failed"] == len(texts)
    # A 429 seen by one worker lowered the limit they share.
    assert '"event": "batch_concurrency_lowered"' in logs and '"shared": true' in logs


def test_a_worker_needs_a_database_url(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "worker"], capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "REALISE_DB_PATH": str(tmp_path / "r.db")},
    )  # fmt: skip
    assert done.returncode == 2 and "REALISE_DATABASE_URL" in done.stderr


def test_ready_says_when_no_worker_runs_the_batches(postgres_url):
    with TestClient(app=create_app(api_settings(postgres_url, "http://127.0.0.1:9/v1"))) as client:
        ready = client.get("/ready").json()
    assert ready["status"] == "degraded" and ready["checks"]["queue"].startswith("no worker")


def test_the_command_line_batch_is_run_by_the_workers(postgres_url, tmp_path):
    """`realise batch FILE` with a database URL stores the batch, and the workers run it; the
    command follows its progress and writes the results as it does on a SQLite file."""
    import subprocess
    import sys

    backlog_file = tmp_path / "backlog.txt"
    backlog_file.write_text("\n".join(REQUESTS) + "\n")
    with run_mock_model(latency=0.05) as model:
        env = worker_env(postgres_url, model.base_url)
        with run_realise_worker(env):
            done = subprocess.run(
                [sys.executable, "-m", "api.cli", "batch", str(backlog_file), "--out", str(tmp_path / "out.csv")],
                capture_output=True, text=True, timeout=120, env={**os.environ, **env},
            )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    import csv

    with (tmp_path / "out.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["request"] for row in rows] == REQUESTS and {row["status"] for row in rows} == {"done"}
