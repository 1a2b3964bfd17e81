"""A cluster on loopback: two API processes, three workers, one PostgreSQL, the mock model.

One worker and one API process are killed (SIGKILL) in the middle of a 2,000-item batch: every
item still ends with exactly one result, and the model is sent again no more items than were
in flight when the worker died.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from contextlib import ExitStack

import httpx
import sqlalchemy as sa

from tests.support.servers import run_mock_model, run_realise_server, run_realise_worker
from tests.test_distributed import REQUESTS, worker_env

ITEMS = 2000


def _get(url: str, path: str) -> dict:
    response = httpx.get(f"{url}{path}", timeout=10)
    response.raise_for_status()
    return response.json()


def test_killing_a_worker_and_an_api_process_mid_batch_loses_nothing_and_repeats_little(postgres_url):
    texts = [f"{REQUESTS[n % len(REQUESTS)]} for region {n}" for n in range(ITEMS)]
    database = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with run_mock_model(latency=0.1) as model, ExitStack() as cluster:
        env = worker_env(postgres_url, model.base_url, REALISE_BATCH_CONCURRENCY="30")
        doomed_api, api = (cluster.enter_context(run_realise_server(env)) for _ in range(2))
        doomed_worker, *_ = (cluster.enter_context(run_realise_worker(env)) for _ in range(3))
        body = {"items": [{"id": str(n), "request": text} for n, text in enumerate(texts)]}
        created = httpx.post(f"{doomed_api.url}/v1/batches", json=body, timeout=60)
        assert created.status_code == 202, created.text
        batch_id = created.json()["id"]

        deadline = time.monotonic() + 120
        while _get(api.url, f"/v1/batches/{batch_id}")["done"] < ITEMS // 4:
            assert time.monotonic() < deadline, "the cluster made no progress"
            time.sleep(0.05)
        with database.connect() as connection:
            in_flight = connection.execute(
                sa.text("SELECT COUNT(*) FROM procrastinate_jobs WHERE status = 'doing'")
            ).scalar_one()
        doomed_worker.kill()
        doomed_api.kill()

        deadline = time.monotonic() + 180
        while (batch := _get(api.url, f"/v1/batches/{batch_id}"))["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, f"the batch did not end: {batch}"
            time.sleep(0.2)
        assert (batch["status"], batch["done"], batch["failed"]) == ("done", ITEMS, 0)
        export = httpx.get(f"{api.url}/v1/batches/{batch_id}/results", timeout=60)
        rows = [json.loads(line) for line in export.text.splitlines()]
        calls = Counter(r["request_text"] for r in model.stats()["requests"] if not r["followup"])

    # Exactly one result per item, in input order.
    assert [row["id"] for row in rows] == [str(n) for n in range(ITEMS)]
    assert all(row["status"] == "done" for row in rows)
    with database.connect() as connection:
        stored = connection.execute(sa.text("SELECT status, COUNT(*) FROM batch_items GROUP BY status")).all()
    assert stored == [("done", ITEMS)]
    # Every item reached the model; the only ones sent twice were in flight when the worker died.
    assert set(calls) == set(texts)
    sent_again = sum(count - 1 for count in calls.values())
    assert sent_again <= in_flight, (sent_again, in_flight)
    database.dispose()


def test_the_compose_file_runs_the_commands_this_test_runs():
    """deploy/compose.yaml starts what the cluster test starts: `realise serve`, `realise worker`
    (and `realise migrate`), configured only by settings realise knows."""
    from pathlib import Path

    import yaml

    from api.cli import cli
    from api.config import ENV_NAMES

    compose = yaml.safe_load((Path(__file__).parents[1] / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    commands = {name: services[name]["command"] for name in ("api", "worker", "migrate")}
    assert commands["api"][:2] == ["realise", "serve"] and commands["worker"] == ["realise", "worker"]
    assert commands["migrate"] == ["realise", "migrate"]
    for command in commands.values():  # each is a valid command line of this version
        subcommand = cli.get_command(cli.make_context("realise", ["--help"], resilient_parsing=True), command[1])
        assert subcommand is not None
        subcommand.make_context(command[1], command[2:])
    known = set(ENV_NAMES.values())
    for name in ("api", "worker", "migrate"):
        environment = services[name]["environment"]
        assert environment["REALISE_DATABASE_URL"].startswith("postgresql://")
        assert set(environment) <= known, set(environment) - known
    assert (
        "postgres" in services
        and services["worker"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    )
