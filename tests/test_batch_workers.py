"""Batch worker processes (REALISE_BATCH_WORKERS): same results as in-process, nothing lost, nothing left behind.

Most tests run real worker processes against the loopback mock model, built by build_services
exactly as the server builds them. Worker start-up (importing the SDK) is most of their time.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest
from support.batch_engines import ScriptedEngine
from support.servers import PROJECT_ROOT, is_running, live_children, run_mock_model
from support.worker_pipelines import Failure, Script, scripted_engine

from api.config import Settings
from api.services import Services, build_services
from rewriter.batch.export import encode_pages
from rewriter.batch.model import BacklogItem, Batch, BatchOptions
from rewriter.batch.runner import BatchRunner
from rewriter.batch.store import BatchStore
from rewriter.batch.worker import WorkerPool, exception_of, failure_of
from rewriter.errors import UpstreamBadOutput, UpstreamUnavailable
from rewriter.pipeline import RewritePipeline
from tests.support.worker_pipelines import scripted

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")

API_KEY = "sk-test-worker-key-0123456789"


@pytest.fixture(scope="module")
def model():
    with run_mock_model(latency=0.05) as model:
        yield model


@pytest.fixture
def mock(model):
    model.reset()
    return model


def services_for(model, tmp_path: Path, *, workers: int, concurrency: int = 8, db: str = "batches.db") -> Services:
    settings = Settings(
        openai_base_url=model.base_url, openai_api_key=API_KEY, model="mock-model", db_path=str(tmp_path / db),
        batch_concurrency=concurrency, batch_workers=workers, log_format="json", log_level="WARNING",
    )  # fmt: skip
    services = build_services(settings)
    services.batch_runner.retry_delay = 0.0  # a transient failure's next pass starts at once
    return services


def submit(store: BatchStore, requests: list[str]) -> Batch:
    items = [BacklogItem(where=f"line {n}", request=text) for n, text in enumerate(requests, start=1)]
    return store.create(items, options=BatchOptions(), source="test", input_digest="0" * 64)


def rows(store: BatchStore, batch: Batch) -> list[dict]:
    return [json.loads(line) for line in b"".join(encode_pages(store.rows(batch.seq), "jsonl")).splitlines()]


def worker_children() -> list[int]:
    """Live (not zombie) batch worker processes whose parent is this process."""
    return live_children(os.getpid(), b"rewriter.batch.worker")


async def eventually(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.005)


REQUESTS = [f"Improve search number {n}" for n in range(10)]
# Copies (one differs only in whitespace): answered from the item computed first, never sent again.
WITH_DUPLICATES = [*REQUESTS, "Improve search number 3", "Improve  search number 3 ", "Improve search number 7"]


async def test_workers_give_each_item_the_in_process_result_and_compute_duplicates_once(mock, tmp_path):
    in_process = services_for(mock, tmp_path, workers=0, db="in-process.db")
    try:
        expected_batch = await in_process.batch_runner.run(submit(in_process.batch_store, WITH_DUPLICATES).id)
        expected = rows(in_process.batch_store, expected_batch)
    finally:
        await in_process.close()
    assert mock.stats()["calls"] == len(REQUESTS)

    mock.reset()
    services = services_for(mock, tmp_path, workers=2)
    calls_seen = []  # what the parent's metrics see of the workers' model calls
    services.pipeline.observers.append(calls_seen.append)
    pool = services.batch_runner.workers
    assert pool is not None
    try:
        batch = await services.batch_runner.run(submit(services.batch_store, WITH_DUPLICATES).id)
        pids = pool.pids
        assert len(pids) == 2 and worker_children() == sorted(pids)
        for pid in pids:  # the model key reaches the workers in their environment, never in argv
            assert API_KEY.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
            assert f"OPENAI_API_KEY={API_KEY}".encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    finally:
        await services.close()

    assert (batch.status, batch.done, batch.failed, batch.cached) == ("done", 13, 0, 3)
    assert mock.stats()["calls"] == len(REQUESTS)
    assert batch.tokens == expected_batch.tokens
    got = rows(services.batch_store, batch)
    assert len(got) == len(WITH_DUPLICATES) and all(
        row["status"] == "done" and (row["objective"] or row["notice"]) for row in got
    )
    assert got == expected  # the mock is deterministic: same objectives, key results, scores, findings
    assert len(calls_seen) == len(REQUESTS) and all(call.error is None and call.prompt_tokens for call in calls_seen)
    assert worker_children() == []


async def test_a_429_seen_in_a_worker_lowers_the_parent_limit_and_loses_nothing(mock, tmp_path):
    mock.script([{"status": 429, "headers": {"retry-after": "0"}}])
    services = services_for(mock, tmp_path, workers=1, concurrency=4)
    runner = services.batch_runner
    assert runner.workers is not None
    limit_after_429: list[int] = []
    runner.workers.rate_limit_listeners.append(lambda retry_after: limit_after_429.append(runner.limit.current))
    try:
        batch = await runner.run(submit(services.batch_store, REQUESTS[:6]).id)
    finally:
        await services.close()
    assert mock.stats()["rejected"] == 1
    assert (batch.done, batch.failed) == (6, 0)
    assert limit_after_429 == [2]  # halved by the worker's 429 ...
    assert runner.limit.current == 4  # ... and raised again by the successes that followed


async def test_a_killed_worker_loses_no_item_and_is_replaced(mock, tmp_path):
    """One worker: the batch can only finish through its replacement."""
    mock.script([{"delay": 0.5}] * 8)  # the first eight calls are still in flight when the worker dies
    services = services_for(mock, tmp_path, workers=1, concurrency=8)
    runner, store = services.batch_runner, services.batch_store
    pool = runner.workers
    assert pool is not None
    requests = [f"Retire the legacy report number {n}" for n in range(24)]
    try:
        batch = submit(store, requests)
        run = asyncio.create_task(runner.run(batch.id))
        await eventually(lambda: pool.in_flight == 8)
        (victim,) = pool.pids
        os.kill(victim, signal.SIGKILL)
        final = await asyncio.wait_for(run, 30)
        replacements = pool.pids
    finally:
        await services.close()

    assert (final.status, final.done, final.failed) == ("done", 24, 0)
    assert [row["request"] for row in rows(store, final)] == requests
    assert all(row["status"] == "done" and (row["objective"] or row["notice"]) for row in rows(store, final))
    assert len(replacements) == 1 and victim not in replacements
    with sqlite3.connect(tmp_path / "batches.db") as db:
        attempts = dict(db.execute("SELECT attempts, COUNT(*) FROM batch_items GROUP BY attempts").fetchall())
    assert attempts == {1: 16, 2: 8}  # the eight in flight: a transient failure, then done
    assert worker_children() == []


async def test_stop_cancels_the_calls_in_flight_and_ends_every_worker(mock, tmp_path):
    mock.script([{"delay": 3.0}] * 4)
    services = services_for(mock, tmp_path, workers=1, concurrency=4)
    runner = services.batch_runner
    pool = runner.workers
    assert pool is not None
    await runner.start()
    batch = submit(services.batch_store, REQUESTS[:6])
    runner.submit(batch.id)
    await eventually(lambda: pool.in_flight == 4)
    pids = pool.pids
    assert worker_children() == sorted(pids)
    started = time.monotonic()
    await services.close()  # runner.stop(), then the store and the engine
    assert time.monotonic() - started < 2.5  # the workers cancelled their calls rather than waiting for them
    assert worker_children() == [] and not any(is_running(pid) for pid in pids)
    store = BatchStore(tmp_path / "batches.db")
    try:
        stopped = store.get(batch.id)
        assert (stopped.status, stopped.done, stopped.failed) == ("running", 0, 0)  # resumable, as in-process
        assert {item.attempts for item in store.pending_items(stopped.seq, after=-1, limit=10)} == {0}
    finally:
        store.close()


async def test_a_worker_raises_in_the_parent_what_the_pipeline_raised_in_it(tmp_path):
    """Every way an item can end, in a worker and in-process, with the same engine: the same rows."""
    script = Script(
        failures={
            "Upgrade Elasticsearch": [Failure("UpstreamBadOutput", "the model's reply was unusable twice")],
            "Hire two analysts": [Failure("UpstreamTimeout", "the model did not answer in time")] * 3,
            "Build a chatbot": [
                Failure("UpstreamUnavailable", "rate limited", 0.0),
                Failure("UpstreamRejected", "bad key"),
            ],
            "Plan the offsite": [Failure("UpstreamUnavailable", "overloaded", 0.0)],
            "Fix the login page": [Failure("ValueError", "a bug")],
        }
    )
    requests = [
        "Upgrade Elasticsearch",
        "Hire two analysts",
        "Build a chatbot",
        "Plan the offsite",
        "Fix the login page",
        "Tidy the wiki",
    ]
    results = {}
    for mode in ("in-process", "workers"):
        store = BatchStore(tmp_path / f"{mode}.db")
        workers = None
        if mode == "workers":
            config = msgspec.json.encode(script)
            workers = WorkerPool(1, factory=scripted, config=config)
            # The parent's own pipeline never calls its engine then: it names the engine in cache keys.
            pipeline = RewritePipeline(ScriptedEngine())
        else:
            pipeline = RewritePipeline(scripted_engine(script))
        runner = BatchRunner(store, pipeline, concurrency=4, retry_delay=0.0, workers=workers)
        try:
            batch = await runner.run(submit(store, requests).id)
            results[mode] = (batch.done, batch.failed, batch.tokens, rows(store, batch))
        finally:
            await runner.stop()
            store.close()
    assert results["workers"] == results["in-process"]
    done, failed, _, got = results["workers"]
    assert (done, failed) == (2, 4)
    errors = {row["request"]: row["error"] for row in got}
    assert errors["Upgrade Elasticsearch"] == "the model's reply was unusable twice"
    assert errors["Hire two analysts"] == "the model did not answer in time"  # transient, tried max_attempts times
    assert errors["Build a chatbot"] == "bad key"
    assert errors["Plan the offsite"] is None  # transient once, then done
    assert errors["Fix the login page"] == "internal error (ValueError); it has been logged"


async def test_cancelling_a_batch_cancels_its_calls_in_the_worker(tmp_path):
    store = BatchStore(tmp_path / "batches.db")
    workers = WorkerPool(1, factory=scripted, config=msgspec.json.encode(Script(delay=0.4)))
    runner = BatchRunner(store, RewritePipeline(ScriptedEngine()), concurrency=2, retry_delay=0.0, workers=workers)
    calls = []  # model calls the worker reports: a call it did not cancel would be reported when it ends
    workers.call_observers.append(calls.append)
    try:
        await runner.start()
        batch = submit(store, REQUESTS[:4])
        runner.submit(batch.id)
        await eventually(lambda: workers.in_flight == 2)
        cancelled = await runner.cancel(batch.id)
        assert (cancelled.status, cancelled.done, workers.in_flight) == ("cancelled", 0, 0)
        await asyncio.sleep(0.6)  # past the end of the calls, had they gone on
        assert calls == []
        again = await runner.run(store.requeue(batch.id).id)  # the same worker, still serving
        assert (again.status, again.done, len(calls)) == ("done", 4, 4)
    finally:
        await runner.stop()
        store.close()


def test_failures_cross_the_pipe_as_the_same_exception():
    unavailable = exception_of(failure_of(1, UpstreamUnavailable("rate limited", attempts=3, retry_after=1.5)))
    assert type(unavailable) is UpstreamUnavailable
    assert (unavailable.message, unavailable.attempts, unavailable.retry_after) == ("rate limited", 3, 1.5)

    class NewKindOfBadOutput(UpstreamBadOutput):
        pass

    bad = exception_of(failure_of(2, NewKindOfBadOutput("garbled", attempts=2)))
    assert type(bad) is UpstreamBadOutput and (bad.message, bad.attempts) == ("garbled", 2)
    crash = exception_of(failure_of(3, KeyError("x")))
    assert crash.type_name == "KeyError"  # type: ignore[attr-defined]


def test_workers_stop_when_their_parent_is_killed():
    parent = """
import asyncio
from rewriter.batch.worker import WorkerPool
from tests.support.worker_pipelines import scripted

async def main():
    pool = WorkerPool(1, factory=scripted, config=b"{}")
    await pool.start()
    print("workers", *pool.pids, flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""
    process = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT)
    try:
        assert process.stdout is not None
        line = ""
        while not line.startswith("workers"):  # log lines may come first
            line = process.stdout.readline()
            assert line, "the parent exited before starting its worker"
        (worker,) = map(int, line.split()[1:])
        assert is_running(worker)
    finally:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 10
    while is_running(worker):  # its stdin reached end of file: it stops by itself
        assert time.monotonic() < deadline, f"worker {worker} outlived its killed parent"
        time.sleep(0.02)


def test_the_cli_runs_a_file_with_workers_and_leaves_no_worker_behind(tmp_path, monkeypatch):
    from api.cli import main

    sent = []
    rewrite = WorkerPool.rewrite

    async def counted(self, spec, model_call_ended=None):
        sent.append(spec.request)
        return await rewrite(self, spec, model_call_ended)

    monkeypatch.setattr(WorkerPool, "rewrite", counted)
    out = tmp_path / "out.jsonl"
    monkeypatch.setenv("REALISE_ENGINE", "offline")
    monkeypatch.setenv("REALISE_DB_PATH", str(tmp_path / "cli.db"))
    monkeypatch.setenv("REALISE_LOG_FORMAT", "json")
    argv = ["batch", str(PROJECT_ROOT / "tests/fixtures/user_stories.txt"), "--workers", "1", "--out", str(out)]
    assert main(argv) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 20 and all(row["status"] == "done" and (row["objective"] or row["notice"]) for row in rows)
    assert len(sent) == 20  # computed by the worker
    assert worker_children() == []


def test_the_cli_refuses_workers_for_a_server(capsys):
    from api.cli import main

    assert main(["batch", "backlog.csv", "--url", "http://127.0.0.1:9", "--workers", "2"]) == 2
    assert "REALISE_BATCH_WORKERS" in capsys.readouterr().err
    assert main(["batch", "backlog.csv", "--workers", "-1"]) == 2
    assert "--workers" in capsys.readouterr().err
