"""Batch bench: the batch runner in-process against the mock model on loopback.

    .venv/bin/python -m bench.batch [--latency 0.2] [--concurrency 50] [--items 1000] [--workers 2] [--repeat 3]
    .venv/bin/python -m bench.batch --distributed [--items 3000] [--workers 3] [--concurrency 60]

Prints, side by side in one run:
  1. throughput — 1,000 items at concurrency 50, computed by ``--workers`` batch worker
     processes (REALISE_BATCH_WORKERS): elapsed against the ideal bound
     items × latency / concurrency, as a ratio (target ≥ 90 %; the median of ``--repeat`` runs,
     each run's ratio shown too, since a shared machine's speed drifts), with the CPU time per item of
     the runner, of its workers and of the mock model (which shares the machine); then, for
     comparison, the same batch in-process (no workers), and, to tell the runner's own cost
     from the model client's, in-process with an engine that only sleeps for the latency
     (no HTTP, no SDK);
  2. memory — peak RSS for 1,000 and for 10,000 items, each in a fresh subprocess, and how
     much it grew over the process's size before the batch (target: 10,000 < 2 × 1,000);
  3. duplicates — a backlog with 30 % duplicate items: model calls / items (target ≤ 0.70);
  4. a 429 storm — the mock refuses 30 % of calls with Retry-After: 1: every item finishes,
     none is lost; in-process, and again with the workers (their 429s must reach the
     parent's limit).
Scenarios 2 and 3 run in-process.

With ``--distributed``, instead: 5. the distributed mode — a PostgreSQL server on loopback,
``--workers`` ``realise worker`` processes sharing a limit of ``--concurrency`` model calls,
``--items`` unique items (after a warm-up batch): elapsed against the ideal bound (target
≥ 85 %), the CPU per item of the workers, PostgreSQL and the mock model, and the most calls the
mock saw at once (target: never above the limit).
Requests come from the real backlogs in /work/shared/data/backlogs (user stories and Jira
titles) when they are there, else they are generated. Only loopback is ever contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from api.config import Settings
from api.observability import configure_logging
from api.services import Services, build_services
from rewriter.batch.export import encode_pages
from rewriter.batch.model import BacklogItem, Batch, BatchOptions
from rewriter.batch.runner import BatchRunner
from rewriter.batch.store import BatchStore
from rewriter.database import Database
from rewriter.domain import EngineInfo, Generation, Mission, RewriteSpec, Usage
from rewriter.offline import OfflineEngine
from rewriter.pipeline import RewritePipeline
from tests.support.servers import live_children, run_mock_model

ROOT = Path(__file__).resolve().parents[1]


DATA = Path("/work/shared/data/backlogs")
DUPLICATE_SHARE = 0.30
STORM_REJECT_RATE = 0.30
STORM_ITEMS = 300


# --- backlogs ----------------------------------------------------------------------------------


def real_requests(data: Path) -> Iterator[str]:
    """User stories, then Jira titles, as they are in the shared data set (if present)."""
    for path in sorted((data / "user-stories").glob("*.txt")):
        yield from (line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    for path in sorted((data / "jira-titles").glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as file:
            yield from (row["title"].strip() for row in csv.DictReader(file, delimiter="\t") if row["title"].strip())


def synthetic_requests() -> Iterator[str]:
    roles = ["caseworker", "student", "site reliability engineer", "shop owner", "nurse", "data analyst"]
    asks = ["see all open cases on one page", "export my timetable", "get paged only for real outages",
            "print shipping labels in bulk", "record a handover note", "schedule the weekly report"]  # fmt: skip
    number = 0
    while True:
        number += 1
        yield (
            f"As a {roles[number % len(roles)]}, I want to {asks[number // len(roles) % len(asks)]} (request "
            f"{number}), so that I save time"
        )


def unique_requests(count: int, data: Path) -> list[str]:
    """``count`` distinct requests, real ones first."""
    found: dict[str, None] = {}
    for source in (real_requests(data), synthetic_requests()):
        for text in source:
            found.setdefault(text[:2000])
            if len(found) == count:
                return list(found)
    raise AssertionError("unreachable: the synthetic source never ends")


def with_duplicates(count: int, share: float, data: Path) -> list[str]:
    """``count`` requests of which ``share`` repeat earlier ones, shuffled with a fixed seed."""
    distinct = unique_requests(round(count * (1 - share)), data)
    rng = random.Random(7)
    backlog = distinct + [rng.choice(distinct) for _ in range(count - len(distinct))]
    rng.shuffle(backlog)
    return backlog


# --- one batch ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    batch: Batch
    elapsed: float
    cpu_per_item_ms: float  # this process
    workers_cpu_per_item_ms: float  # the batch worker processes (0 without workers)
    mock_cpu_per_item_ms: float | None  # the mock model, which shares the machine
    workers: int
    model_calls: int
    model_rejected: int
    lowest_concurrency: int
    final_concurrency: int
    rows: int


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far; 0 if unknown (not Linux, gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def services_for(model_url: str, db: Path, concurrency: int, workers: int = 0) -> Services:
    settings = Settings(
        openai_base_url=f"{model_url}/v1", openai_api_key="bench-key", model="mock-model", db_path=str(db),
        batch_concurrency=concurrency, batch_workers=workers, rate_limit="0", log_level="WARNING",
    )  # fmt: skip
    return build_services(settings)


async def run_batch(
    services: Services, model_url: str, requests: list[str], *, model_pid: int | None = None
) -> Outcome:
    """Store the batch, run it to its end, stream its results out, and say what it took."""
    store, runner = services.batch_store, services.batch_runner
    pool = runner.workers
    if pool is not None:
        await pool.start()  # started before the clock, as in a server that has run a batch before
    items = (BacklogItem(where=f"line {n}", request=text) for n, text in enumerate(requests, start=1))
    batch = store.create(items, options=BatchOptions(), source="bench", input_digest="0" * 64)
    httpx.post(f"{model_url}/_control/reset").raise_for_status()
    lowest = runner.limit.current

    async def watch_concurrency() -> None:
        nonlocal lowest
        while True:
            lowest = min(lowest, runner.limit.current)
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch_concurrency())
    pids = pool.pids if pool is not None else []
    workers_cpu = -sum(map(process_cpu, pids))
    mock_cpu_before = process_cpu(model_pid) if model_pid else 0.0
    cpu, started = time.process_time(), time.perf_counter()
    final = await runner.run(batch.id)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    workers_cpu += sum(map(process_cpu, pids))  # a worker restarted meanwhile is not counted
    mock_cpu = process_cpu(model_pid) - mock_cpu_before if model_pid else None
    watcher.cancel()
    rows = sum(chunk.count(b"\n") for chunk in encode_pages(store.rows(final.seq), "jsonl"))
    stats = httpx.get(f"{model_url}/_stats").json()
    per_item = 1000 / len(requests)
    return Outcome(
        final, elapsed, cpu * per_item, workers_cpu * per_item, None if mock_cpu is None else mock_cpu * per_item,
        len(pids), stats["calls"], stats["rejected"], lowest, runner.limit.current, rows,
    )  # fmt: skip


async def scenario(
    model_url: str,
    db: Path,
    concurrency: int,
    requests: list[str],
    *,
    warm_up: list[str] | None = None,
    workers: int = 0,
    model_pid: int | None = None,
) -> Outcome:
    services = services_for(model_url, db, concurrency, workers)
    try:
        if warm_up:  # open the connection pool and fill the evaluators' caches, as in a running server
            await run_batch(services, model_url, warm_up)
        return await run_batch(services, model_url, requests, model_pid=model_pid)
    finally:
        await services.close()


class SleepingEngine:
    """A model that answers after ``latency`` seconds at no CPU cost: what the runner costs by itself."""

    provider = "openai"
    model = "sleeping"

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self._drafts = OfflineEngine()

    def cache_identity(self, mission: Mission) -> str:
        return f"sleeping:{mission}"

    async def generate(self, spec: RewriteSpec, mission: Mission) -> Generation:
        await asyncio.sleep(self.latency)
        return Generation(
            drafts=self._drafts.generate_now(spec, mission).drafts,
            engine=EngineInfo(provider="openai", model=self.model, prompt="sleeping@1"),
            usage=Usage(calls=1),
        )


async def runner_alone(db: Path, latency: float, concurrency: int, requests: list[str]) -> tuple[float, float]:
    """Elapsed seconds and CPU ms per item for a batch against the sleeping engine."""
    store = BatchStore(db)
    try:
        runner = BatchRunner(store, RewritePipeline(SleepingEngine(latency)), concurrency=concurrency)
        items = (BacklogItem(where=f"line {n}", request=text) for n, text in enumerate(requests, start=1))
        batch = store.create(items, options=BatchOptions(), source="bench", input_digest="0" * 64)
        cpu, started = time.process_time(), time.perf_counter()
        await runner.run(batch.id)
        return time.perf_counter() - started, (time.process_time() - cpu) / len(requests) * 1000
    finally:
        store.close()


def memory_child(model_url: str, count: int, concurrency: int, data: Path) -> None:
    """One batch of ``count`` items in this fresh process; prints its RSS before the batch and at the peak."""
    requests = unique_requests(count, data)  # the input file's stand-in, held by the bench, not by realise
    with tempfile.TemporaryDirectory() as tmp:
        services = services_for(model_url, Path(tmp) / "memory.db", concurrency)
        before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        async def run_and_close() -> Outcome:
            try:
                return await run_batch(services, model_url, requests)
            finally:
                await services.close()

        outcome = asyncio.run(run_and_close())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {"items": count, "done": outcome.batch.done, "before_mb": before_kb / 1024, "peak_mb": peak_kb / 1024}
        )
    )


def memory_in_subprocess(model_url: str, count: int, concurrency: int, data: Path) -> dict:
    # As a module from the checkout's root, as every bench runs (it imports tests.support).
    command = [sys.executable, "-m", "bench.batch", "--memory-child", str(count), "--model-url", model_url,
               "--concurrency", str(concurrency), "--data", str(data)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the report --------------------------------------------------------------------------------


def cpu_split(outcome: Outcome) -> str:
    parts = [f"runner {outcome.cpu_per_item_ms:.1f} ms"]
    if outcome.workers:
        parts.append(f"workers {outcome.workers_cpu_per_item_ms:.1f} ms")
    if outcome.mock_cpu_per_item_ms is not None:
        parts.append(f"mock model {outcome.mock_cpu_per_item_ms:.1f} ms")
    return ", ".join(parts)


# --- the distributed mode ------------------------------------------------------------------------


@dataclass
class Distributed:
    items: int
    elapsed: float
    status: str
    done: int
    max_in_flight: int
    calls: int
    cpu_ms: dict[str, float]  # per item: the workers, PostgreSQL, the mock model


def postgres_cpu(data_dir: Path) -> float:
    """CPU seconds of every process of the PostgreSQL cluster in ``data_dir`` (its postmaster's children)."""
    try:
        postmaster = int((data_dir / "cluster" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return process_cpu(postmaster) + sum(map(process_cpu, live_children(postmaster, b"")))


def distributed(args: argparse.Namespace) -> Distributed:
    """``--items`` unique items stored in PostgreSQL, run by ``--workers`` ``realise worker`` processes
    with ``--concurrency`` model calls in flight across all of them (the shared limit)."""
    from rewriter.batch.jobs import JobQueue
    from tests.support.postgres import postgres_server
    from tests.support.servers import run_realise_worker

    requests = unique_requests(args.items + args.concurrency, args.data)
    with postgres_server(max_connections=300) as pg, run_mock_model(latency=args.latency) as model:
        url = pg.url()
        env = {
            "REALISE_DATABASE_URL": url, "OPENAI_BASE_URL": model.base_url, "OPENAI_API_KEY": "bench-key",
            "REALISE_MODEL": "mock-model", "REALISE_BATCH_CONCURRENCY": str(args.concurrency),
            "REALISE_LOG_FORMAT": "json",
        }  # fmt: skip
        store = BatchStore(Database.open(url), queue=JobQueue(url))

        def run(texts: list[str]) -> tuple[Batch, float]:
            items = (BacklogItem(where=f"line {n}", request=text) for n, text in enumerate(texts, start=1))
            started = time.perf_counter()
            batch = store.create(items, options=BatchOptions(), source="bench", input_digest="0" * 64)
            while (batch := store.get(batch.id)).status in ("queued", "running"):
                time.sleep(0.05)
            return batch, time.perf_counter() - started

        with contextlib.ExitStack() as workers:
            processes = [workers.enter_context(run_realise_worker(env)) for _ in range(args.workers)]
            run(requests[args.items :])  # warm-up: connections open, the evaluators' caches filled
            httpx.post(f"{model.url}/_control/reset").raise_for_status()
            pids = [worker.process.pid for worker in processes]
            before = (sum(map(process_cpu, pids)), postgres_cpu(pg.data), process_cpu(model.process.pid))
            batch, elapsed = run(requests[: args.items])
            after = (sum(map(process_cpu, pids)), postgres_cpu(pg.data), process_cpu(model.process.pid))
            stats = httpx.get(f"{model.url}/_stats").json()
        store.close()
    per_item = 1000 / args.items
    cpu = {name: (b - a) * per_item for name, a, b in zip(("workers", "PostgreSQL", "mock model"), before, after)}
    return Distributed(args.items, elapsed, batch.status, batch.done, stats["max_in_flight"], stats["calls"], cpu)


def report_distributed(args: argparse.Namespace) -> None:
    outcome = distributed(args)
    bound = args.items * args.latency / args.concurrency
    ratio = bound / outcome.elapsed
    cpu = ", ".join(f"{name} {ms:.1f} ms" for name, ms in outcome.cpu_ms.items())
    print(
        f"realise batch bench, distributed: mock model latency {args.latency * 1000:.0f} ms on loopback, PostgreSQL "
        "on loopback"
    )
    rows = [
        ("5 distributed", "≥ 85 % of the bound", ratio >= 0.85,
         f"{args.items:,} items, {args.workers} workers, a shared limit of {args.concurrency}: {outcome.elapsed:.2f} "
         "s against an "
         f"ideal {bound:.2f} s = {ratio:.0%} of the bound ({args.items / outcome.elapsed:.0f} items/s; "
         f"{outcome.status}, done "
         f"{outcome.done:,}; {outcome.calls:,} model calls); CPU per item: {cpu}"),
        ("5b the limit", f"≤ {args.concurrency} in flight", outcome.max_in_flight <= args.concurrency,
         f"the mock saw at most {outcome.max_in_flight} calls at once"),
    ]  # fmt: skip
    for name, target, met, measured in rows:
        print(f"{name:<14} {'met   ' if met else 'MISSED'} {target:<21} {measured}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.2, help="the mock model's latency in seconds")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of scenario 1, judged on the median")
    parser.add_argument(
        "--workers", type=int, default=2, help="batch worker processes for scenarios 1 and 4b (0: in-process)"
    )
    parser.add_argument("--memory-items", type=int, nargs=2, default=[1000, 10_000], metavar=("SMALL", "LARGE"))
    parser.add_argument("--data", type=Path, default=DATA, help="real backlogs (optional)")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--model-url", help=argparse.SUPPRESS)
    parser.add_argument(
        "--distributed", action="store_true",
        help="instead: the distributed mode (PostgreSQL, `realise worker` processes); defaults 3,000 items, 3 "
            "workers, a limit of 60",
    )  # fmt: skip
    args = parser.parse_args()
    configure_logging(fmt="console", level="WARNING")
    if args.memory_child:
        memory_child(args.model_url, args.memory_child, args.concurrency, args.data)
        return
    if args.distributed:
        defaults = {"items": 1000, "workers": 2, "concurrency": 50}
        for name, value in {"items": 3000, "workers": 3, "concurrency": 60}.items():
            if getattr(args, name) == defaults[name]:
                setattr(args, name, value)
        report_distributed(args)
        return

    source = "real backlogs" if (args.data / "user-stories").is_dir() else "generated requests"
    with tempfile.TemporaryDirectory() as tmp, run_mock_model(latency=args.latency) as model:
        db = Path(tmp)
        requests = unique_requests(args.items + args.concurrency, args.data)
        # Scenario 1 runs --repeat times (a shared machine's speed drifts from minute to minute)
        # and is judged on the median run; the in-process comparison runs once.
        runs = [
            asyncio.run(
                scenario(
                    model.url,
                    db / f"throughput-{workers}-{n}.db",
                    args.concurrency,
                    requests[: args.items],
                    warm_up=requests[args.items :],
                    workers=workers,
                    model_pid=model.process.pid,
                )  # fmt: skip
            )
            for n, workers in enumerate([args.workers] * args.repeat + [0])
        ]
        *repeats, in_process = runs
        throughput = sorted(repeats, key=lambda outcome: outcome.elapsed)[len(repeats) // 2]
        alone_elapsed, alone_cpu = asyncio.run(
            runner_alone(db / "alone.db", args.latency, args.concurrency, requests[: args.items])
        )
        small, large = (
            memory_in_subprocess(model.url, count, args.concurrency, args.data) for count in args.memory_items
        )
        backlog = with_duplicates(args.items, DUPLICATE_SHARE, args.data)
        duplicates = asyncio.run(scenario(model.url, db / "duplicates.db", args.concurrency, backlog))
        with run_mock_model(latency=args.latency, reject_rate=STORM_REJECT_RATE, retry_after=1) as storm_model:
            storms = [
                asyncio.run(
                    scenario(
                        storm_model.url,
                        db / f"storm-{workers}.db",
                        args.concurrency,
                        unique_requests(STORM_ITEMS, args.data),
                        workers=workers,
                    )
                )
                for workers in dict.fromkeys((0, args.workers))
            ]

    bound = args.items * args.latency / args.concurrency
    ratio = bound / throughput.elapsed
    all_ratios = ", ".join(f"{bound / outcome.elapsed:.0%}" for outcome in repeats)
    calls_per_item = duplicates.model_calls / args.items
    report = [
        (
            "1 throughput",
            "≥ 90 % of the bound",
            ratio >= 0.9,
            f"{args.items:,} items at concurrency {args.concurrency}, {throughput.workers} worker processes, median "
            f"of {len(repeats)} runs: "
            f"{throughput.elapsed:.2f} s against an ideal {bound:.2f} s = {ratio:.0%} of the bound "
            f"({args.items / throughput.elapsed:.0f} items/s; "
            f"runs: {all_ratios}); CPU per item: {cpu_split(throughput)}",
        ),
        (
            "1c in-process",
            "diagnostic, no target",
            None,
            f"the same batch without workers: {in_process.elapsed:.2f} s = {bound / in_process.elapsed:.0%} of the "
            "bound; "
            f"CPU per item: {cpu_split(in_process)}",
        ),
        (
            "1b runner only",
            "diagnostic, no target",
            None,
            f"the same batch, the model replaced by a {args.latency * 1000:.0f} ms sleep (no HTTP, no SDK): "
            f"{alone_elapsed:.2f} s "
            f"= {bound / alone_elapsed:.0%} of the bound (CPU {alone_cpu:.1f} ms per item: drafts, evaluation, store)",
        ),
        (
            "2 memory",
            "large < 2 × small",
            large["peak_mb"] < 2 * small["peak_mb"] and large["done"] == large["items"],
            f"peak RSS {small['peak_mb']:.0f} MB for {small['items']:,} items, {large['peak_mb']:.0f} MB for "
            f"{large['items']:,} "
            f"(grown during the batch: {small['peak_mb'] - small['before_mb']:.1f} MB and "
            f"{large['peak_mb'] - large['before_mb']:.1f} MB)",
        ),
        (
            "3 duplicates",
            "≤ 0.70 calls/item",
            calls_per_item <= 0.70,
            f"{args.items:,} items, {DUPLICATE_SHARE:.0%} duplicates: {duplicates.model_calls:,} model calls = "
            f"{calls_per_item:.2f} per item; "
            f"{duplicates.batch.cached:,} reported cached",
        ),
    ]
    for name, storm in zip(("4 429 storm", "4b with workers"), storms):
        lost = STORM_ITEMS - storm.rows
        report.append(
            (name, "all done, none lost", storm.batch.done == STORM_ITEMS and lost == 0,
             f"{STORM_ITEMS} items, {storm.workers} worker processes, {STORM_REJECT_RATE:.0%} of calls refused with "
             "Retry-After 1 s: "
             f"{storm.model_rejected:,} 429s; done {storm.batch.done}, failed {storm.batch.failed}, lost {lost}; "
             f"concurrency fell to {storm.lowest_concurrency}, ended at {storm.final_concurrency}; "
             f"{storm.elapsed:.1f} s")
        )  # fmt: skip
    print(f"realise batch bench: mock model latency {args.latency * 1000:.0f} ms on loopback, {source}")
    for name, target, met, measured in report:
        verdict = "      " if met is None else "met   " if met else "MISSED"
        print(f"{name:<14} {verdict} {target:<21} {measured}")


if __name__ == "__main__":
    main()
