"""Load bench: the real server against a mock model on loopback, bounded in time.

    .venv/bin/python -m bench.load [--duration 60] [--clients 200] [--overhead-clients 50] [--server-workers 1]

Prints, in one run:
  1. N concurrent clients for D seconds on POST /v1/rewrites: requests/s, p50/p95/p99,
     errors (target 0), server RSS at start and end (target: growth ≤ 20 %);
  2. overhead = API latency − model latency at 50 concurrent clients
     (target p50 ≤ 3 ms, p99 ≤ 15 ms). The model latency of each request is what the server
     reports in its Server-Timing header (time spent in the model call, SDK included).
     It also prints the CPU each process (server, mock model, this load generator) spent
     per request, and what the target's request rate (clients / model latency) would cost
     this machine in cores: the three share its CPUs.
Only loopback is ever contacted; every loop stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

from tests.support.servers import live_children, run_mock_model, run_realise_server

ROOT = Path(__file__).resolve().parents[1]


REQUESTS = [
    "Upgrade Elasticsearch",
    "Build a chatbot for the help centre",
    "Migrate email to Microsoft 365",
    "Redesign the checkout page",
    "As a caseworker, I want to see all open cases on one page, so that I can decide on the day",
    "Automate invoice processing",
    "Hire two data analysts",
    "Explore personalisation for returning visitors",
]


ERROR_KINDS: Counter[str] = Counter()  # what the failed requests were, for the report


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serving_pids(pid: int) -> list[int]:
    """The server's processes that serve HTTP: itself, or the workers it spawned (--workers N)."""
    return live_children(pid, b"spawn_main") or [pid]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def model_ms(headers) -> float:
    for part in headers.get("server-timing", "").split(","):
        name, _, duration = part.strip().partition(";dur=")
        if name == "model":
            return float(duration)
    return 0.0


async def drive(url: str, clients: int, duration: float) -> tuple[list[float], int, int, list[float]]:
    """``clients`` closed-loop workers for ``duration`` seconds: latencies (ms), errors, total, overheads (ms)."""
    latencies: list[float] = []
    overheads: list[float] = []
    error_kinds: Counter[str] = ERROR_KINDS
    errors = 0
    stop_at = time.perf_counter() + duration
    # aiohttp, not httpx: on this 2-core machine the load generator shares the CPU with the
    # server and the mock model, and aiohttp costs ~0.4 ms of CPU per request against httpx's
    # ~1.5 ms — time that would otherwise be counted as the server's overhead.
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base_url=url, connector=connector, timeout=timeout) as client:

        async def worker(index: int) -> None:
            nonlocal errors
            n = index
            while time.perf_counter() < stop_at:
                body = {"request": REQUESTS[n % len(REQUESTS)], "candidates": 3}
                n += 1
                started = time.perf_counter()
                try:
                    async with client.post("/v1/rewrites", json=body) as response:
                        payload = await response.read()
                        ok = response.status == 200
                        if not ok:
                            detail = json.loads(payload).get("detail", "") if payload else ""
                            error_kinds[f"HTTP {response.status}: {detail[:60]}"] += 1
                except (TimeoutError, aiohttp.ClientError) as exc:
                    ok = False
                    error_kinds[type(exc).__name__] += 1
                if ok:
                    latency = (time.perf_counter() - started) * 1000
                    latencies.append(latency)
                    overheads.append(latency - model_ms(response.headers))
                else:
                    errors += 1

        await asyncio.gather(*(worker(i) for i in range(clients)))
    return latencies, errors, len(latencies) + errors, overheads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--overhead-clients", type=int, default=50)
    parser.add_argument("--overhead-duration", type=float, default=20.0)
    parser.add_argument("--model-latency", type=float, default=0.1)
    parser.add_argument(
        "--server-workers", type=int, default=1, help="processes serving HTTP (realise serve --workers)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, run_mock_model(latency=args.model_latency) as model:
        env = {
            "OPENAI_BASE_URL": model.base_url,
            "OPENAI_API_KEY": "bench-key",
            "REALISE_MODEL": "mock-model",
            "REALISE_ENGINE": None,
            "REALISE_RATE_LIMIT": "0",
            "REALISE_DB_PATH": f"{tmp}/bench.db",
            "REALISE_LOG_LEVEL": "WARNING",
        }
        with run_realise_server(env=env, args=["--workers", str(args.server_workers)]) as server:
            pid = server.process.pid
            asyncio.run(drive(server.url, 20, 3))  # warm up: imports, connection pools, caches
            pids = serving_pids(pid)
            rss_start = sum(map(rss_mb, pids))
            started = time.perf_counter()
            latencies, errors, total, _ = asyncio.run(drive(server.url, args.clients, args.duration))
            elapsed = time.perf_counter() - started
            rss_end = sum(map(rss_mb, pids))
            growth = (rss_end - rss_start) / rss_start * 100

            processes = {"server": pids, "mock model": [model.process.pid], "load generator": [os.getpid()]}
            cpu_before = {name: sum(map(cpu_seconds, group)) for name, group in processes.items()}
            overhead_latencies, overhead_errors, _, overhead = asyncio.run(
                drive(server.url, args.overhead_clients, args.overhead_duration)
            )
            cpu_ms = {
                name: (sum(map(cpu_seconds, group)) - cpu_before[name]) * 1000 / max(len(overhead_latencies), 1)
                for name, group in processes.items()
            }
            unloaded_latencies, _, _, unloaded = asyncio.run(drive(server.url, 1, 5))

    print(
        f"realise load bench (mock model latency {args.model_latency * 1000:.0f} ms, loopback, {args.server_workers} "
        "server process(es))"
    )
    print(f"1) {args.clients} concurrent clients for {args.duration:.0f} s")
    print(f"   requests: {total}  ({total / elapsed:.1f} req/s)   errors: {errors}  (target 0)")
    if ERROR_KINDS:
        print(f"   errors by kind: {dict(ERROR_KINDS)}")
    print(
        f"   latency ms  p50 {percentile(latencies, 0.5):.1f}  p95 {percentile(latencies, 0.95):.1f}  p99 "
        f"{percentile(latencies, 0.99):.1f}"
    )
    print(f"   server RSS  start {rss_start:.1f} MB  end {rss_end:.1f} MB  growth {growth:+.1f} %  (target ≤ 20 %)")
    print(
        f"2) overhead at {args.overhead_clients} concurrent clients ({len(overhead)} requests, {overhead_errors} "
        "errors)"
    )
    print(
        f"   API − model latency ms  p50 {percentile(overhead, 0.5):.2f} (target ≤ 3)  p99 "
        f"{percentile(overhead, 0.99):.2f} (target ≤ 15)"
        f"  mean {statistics.fmean(overhead) if overhead else float('nan'):.2f}"
    )
    print(
        f"   throughput {len(overhead_latencies) / args.overhead_duration:.1f} req/s;"
        f" for reference, one client alone: overhead p50 {percentile(unloaded, 0.5):.2f} ms, p99 "
        f"{percentile(unloaded, 0.99):.2f} ms"
    )
    # What the target asks of this machine: every client waits ~one model latency, so the
    # server must sustain clients / latency requests per second with CPU to spare.
    needed = args.overhead_clients / args.model_latency
    per_request = sum(cpu_ms.values())
    cores = os.cpu_count() or 1
    print(
        "   CPU per request: "
        + ", ".join(f"{name} {ms:.2f} ms" for name, ms in cpu_ms.items())
        + f" = {per_request:.2f} ms; {args.overhead_clients} clients at {args.model_latency * 1000:.0f} ms need"
        f" {needed:.0f} req/s = {needed * per_request / 1000:.2f} cores of this machine's {cores}"
    )


if __name__ == "__main__":
    main()
