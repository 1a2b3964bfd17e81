"""How fast the evaluators are, in-process and behind the HTTP API.

    make bench     # as the container image runs them: the compiled wheel, in build/compiled-venv
    build/compiled-venv/bin/python -P bench/evaluators.py [--seconds 5] [--concurrency 32] [--rounds 3] [--skip-server]
    .venv/bin/python -m bench.evaluators [...]     # the sources, as in development (pure Python)

Part 1 — in-process, one core: evaluate() calls per second for an objective plus three
key results, (a) with the per-text caches warm, cycling through 600 varied cases (the
as-you-type / re-scoring case), and (b) uncached: every text is new (generated from
templates, never repeated) and caches are cleared first. Target ≥ 20,000/s.

Part 2 — the real server (`realise serve` as a subprocess): p50/p99 latency and
throughput of POST /v1/evaluations vs GET /health with an async httpx client, bounded
concurrency and a bounded duration, the endpoints taking turns for ``--rounds`` rounds.
Target: evaluations ≥ 50 % of /health's throughput (the median of the rounds' ratios).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from evaluators import COMPILED_STATUS, clear_caches, evaluate, prepare

REPO = Path(__file__).resolve().parent.parent


TARGET_PER_SECOND = 20_000
TARGET_RATIO = 0.5

# ------------------------------------------------------------------- varied inputs

_PEOPLE = [
    "customers",
    "tenants",
    "patients",
    "caseworkers",
    "analysts",
    "drivers",
    "members",
    "students",
    "nurses",
    "partners",
    "shoppers",
    "engineers",
    "applicants",
    "volunteers",
]
_THINGS = [
    "the booking flow",
    "search",
    "the checkout",
    "the claims form",
    "payroll",
    "the help centre",
    "the data platform",
    "the mobile app",
    "invoicing",
    "the intranet",
    "onboarding",
    "the API",
]
_VERBS = ["Build", "Upgrade", "Migrate", "Launch", "Redesign", "Replace", "Automate", "Roll out"]
_METRICS = [
    "Average wait time",
    "Repeat contact rate",
    "Share of forms finished online",
    "Weekly active teams",
    "Error rate",
    "Time to first response",
    "Failed payments",
    "Net promoter score",
    "Monthly churn",
    "Same-day resolutions",
    "Tickets reopened",
    "Hours spent on manual checks",
]
_WHERE = [
    "",
    "in the north",
    "across all regions",
    "for new starters",
    "in the evening",
    "on mobile",
    "in rural areas",
    "at the busiest times",
    "in the first week",
    "for small firms",
    "in Wales",
    "after hours",
    "at renewal",
    "in every branch",
    "for repeat visitors",
    "during peak season",
]
_DEADLINES = ["by the end of Q2", "by September", "by year end", "every month", "all quarter", "by Q4", ""]
_OBJECTIVE_TEMPLATES = [
    "{Verb} {thing} {where}",
    "{Verb} {thing} for {people} {where}",
    "{People} get answers from {thing} without waiting {where}",
    "Make {thing} easier for {people} to use {where}",
    "Reduce the time {people} spend on {thing} {where}",
    "Understand why {people} stop using {thing} {where}",
    "{People} trust {thing} to work every time {where}",
    "We will {verb} {thing} {where} by {month}",
]
_KEY_RESULT_TEMPLATES = [
    "{Metric} falls from {a} to {b} {deadline}",
    "{Metric} rises from {a}% to {b}% {deadline}",
    "{Metric} under {b} minutes {deadline}",
    "{pct}% of {people} finish in one visit {deadline}",
    "{Verb} {thing} {deadline}",
    "Run {a} workshops with {people}",
    "Improve {thing} for {people} {where}",
    "{Metric} falls from a baseline to be measured to a target to be agreed {deadline}",
    "Interview {a} {people} and record the top reasons",
    "{Metric} reaches {b} and {Metric2} stays below {pct}%",
]
_MONTHS = ["March", "June", "September", "December"]


def _fill(template: str, rng: random.Random) -> str:
    verb = rng.choice(_VERBS)
    a, b = sorted(rng.sample(range(2, 900), 2), reverse=rng.random() < 0.5)
    text = template.format(
        Verb=verb,
        verb=verb.lower(),
        thing=rng.choice(_THINGS),
        people=rng.choice(_PEOPLE),
        People=rng.choice(_PEOPLE).capitalize(),
        Metric=rng.choice(_METRICS),
        Metric2=rng.choice(_METRICS).lower(),
        a=a,
        b=b,
        pct=rng.randint(5, 99),
        deadline=rng.choice(_DEADLINES),
        month=rng.choice(_MONTHS),
        where=rng.choice(_WHERE),
    )
    return " ".join(text.split())


def make_cases(count: int, seed: int) -> list[tuple[str, list[str]]]:
    """`count` evaluation inputs (an objective and three key results) with no text
    repeated: uniqueness is enforced so that cache hits cannot flatter the figure."""
    rng = random.Random(seed)
    seen: set[str] = set()

    def fresh(templates: list[str]) -> str:
        for _ in range(10_000):
            text = _fill(rng.choice(templates), rng)
            if text not in seen:
                seen.add(text)
                return text
        raise RuntimeError("the templates cannot make that many distinct texts; ask for fewer cases")

    return [(fresh(_OBJECTIVE_TEMPLATES), [fresh(_KEY_RESULT_TEMPLATES) for _ in range(3)]) for _ in range(count)]


# --------------------------------------------------------------------- in-process


def _pin_to_one_core() -> tuple[str, set[int] | None]:
    """Pin this process to one core; returns a description and the previous affinity."""
    try:
        previous = os.sched_getaffinity(0)
        core = max(previous)
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}", previous
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity here)", None


def _reference_microseconds() -> float:
    """Time of sum(range(1000)): lets readers scale the figures to their machine
    (about 6–8 µs on a current laptop)."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(2000):
            sum(range(1000))
        best = min(best, (time.perf_counter() - start) / 2000)
    return best * 1e6


def bench_in_process(seconds: float) -> float:
    print("== in-process evaluate(objective, 3 key results), one core")
    print(f"   evaluators: {COMPILED_STATUS}")
    pinned, previous_affinity = _pin_to_one_core()
    print(f"   {pinned}; machine reference sum(range(1000)) = {_reference_microseconds():.1f} µs")

    prepare()  # the dictionaries load once, as `realise serve` loads them before serving
    warm_cases = make_cases(600, seed=1)
    for objective, key_results in warm_cases:  # fill the per-text caches
        evaluate(objective, key_results)
    calls = 0
    start = time.perf_counter()
    deadline = start + seconds
    for objective, key_results in itertools.cycle(warm_cases):
        evaluate(objective, key_results)
        calls += 1
        if calls % 600 == 0 and time.perf_counter() >= deadline:
            break
    warm_rate = calls / (time.perf_counter() - start)

    cold_cases = make_cases(int(min(max(warm_rate * seconds / 8, 2000), 20_000)), seed=2)
    clear_caches()
    start = time.perf_counter()
    for objective, key_results in cold_cases:
        evaluate(objective, key_results)
    cold_elapsed = time.perf_counter() - start
    cold_rate = len(cold_cases) / cold_elapsed

    # As you type: each call changes one of the four texts (never seen before), the other
    # three repeat — what a linting extension sends while someone edits a key result.
    typing_cases = make_cases(4000, seed=5)
    state = [typing_cases[0][0], *typing_cases[0][1]]
    typing_calls = []
    for index, (objective, key_results) in enumerate(typing_cases):
        slot = index % 4
        state[slot] = objective if slot == 0 else key_results[slot - 1]
        typing_calls.append((state[0], state[1:]))
    clear_caches()
    start = time.perf_counter()
    for objective, key_results in typing_calls:
        evaluate(objective, key_results)
    typing_rate = len(typing_calls) / (time.perf_counter() - start)

    for label, rate in (
        ("warm per-text caches (600 varied cases, cycled)", warm_rate),
        ("as you type (one of four texts new per call)", typing_rate),
        ("uncached (every text new)", cold_rate),
    ):
        verdict = "ok" if rate >= TARGET_PER_SECOND else "below target"
        print(
            f"   {label:<48} {rate:>9,.0f}/s  {1e6 / rate:>7.1f} µs/call  (target {TARGET_PER_SECOND:,}/s: {verdict})"
        )
    if previous_affinity is not None:  # the server started next must not inherit the pin
        os.sched_setaffinity(0, previous_affinity)
    return warm_rate


# ------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_environment(tmp: Path) -> dict[str, str]:
    # A clean, local configuration: the offline engine (no model key needed), no API
    # keys, no rate limit (it would cap both endpoints), quiet logs, a scratch database.
    env = {k: v for k, v in os.environ.items() if not k.startswith("REALISE_")}
    env.update(
        REALISE_ENGINE="offline",
        REALISE_RATE_LIMIT="0",
        REALISE_LOG_LEVEL="WARNING",
        REALISE_DB_PATH=str(tmp / "realise-bench.sqlite3"),
    )
    return env


async def _wait_until_healthy(client, base: str, server: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            response = await client.get(f"{base}/health", timeout=1.0)
            if response.status_code == 200:
                return True
        except Exception:  # not listening yet
            pass
        await asyncio.sleep(0.2)
    return False


async def _load(client, method: str, url: str, bodies: list[dict] | None, seconds: float, concurrency: int):
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    counter = itertools.count()

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                if bodies is None:
                    response = await client.get(url)
                else:
                    response = await client.post(url, json=bodies[next(counter) % len(bodies)])
                ok = response.status_code == 200
            except Exception:
                ok = False
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def _report(label: str, latencies: list[float], errors: int, elapsed: float) -> float:
    rate = len(latencies) / elapsed
    if latencies:
        ordered = sorted(latencies)
        p50 = statistics.median(ordered) * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        print(
            f"   {label:<22} {rate:>8,.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   "
            f"({len(latencies):,} ok, {errors} failed)"
        )
    else:
        print(f"   {label:<22} no successful requests ({errors} failed)")
    return rate


async def bench_server(seconds: float, concurrency: int, rounds: int) -> int:
    print(
        f"\n== HTTP API: realise serve, {concurrency} concurrent clients, {rounds} rounds of {seconds:g} s per endpoint"
    )
    try:
        import httpx
    except ImportError:
        print("   skipped: httpx is not installed in this environment")
        return 0
    executable = Path(sys.executable).with_name("realise")  # this environment's: compiled or not, as measured
    command = [str(executable) if executable.exists() else "realise"]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        try:
            server = subprocess.Popen(
                [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=REPO,
                env=_server_environment(Path(tmp)),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        except FileNotFoundError:
            print(f"   could not start the server: {command[0]} not found (pip install -e . first)")
            return 1
        try:
            limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
            async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:
                if not await _wait_until_healthy(client, base, server, timeout=30.0):
                    server.terminate()
                    try:
                        _, stderr = server.communicate(timeout=5)
                    except subprocess.TimeoutExpired:
                        server.kill()
                        _, stderr = server.communicate()
                    tail = "\n".join((stderr or "").strip().splitlines()[-15:])
                    print(
                        f"   the server did not answer GET /health with 200 within 30 s "
                        f"(exit code {server.returncode}); its last output:\n{tail or '   (none)'}"
                    )
                    return 1
                bodies = []
                for index, (objective, key_results) in enumerate(make_cases(500, seed=3)):
                    body: dict = {"objective": objective, "key_results": key_results}
                    if index % 3 == 0:
                        body["context"] = "The team maintains this for three regional offices."
                    if index % 5 == 0:
                        body["key_result_range"] = [2, 4]
                    bodies.append(body)
                probe = await client.post(f"{base}/v1/evaluations", json=bodies[0])
                if probe.status_code != 200:
                    print(f"   POST /v1/evaluations answered {probe.status_code}: {probe.text[:300]}")
                    return 1
                await _load(client, "GET", f"{base}/health", None, min(1.0, seconds), concurrency)  # warm-up
                # The load generator shares the machine with the server, and the machine's
                # speed drifts: the endpoints take turns, round by round, and the ratio is the
                # median of the rounds' ratios, each between runs a few seconds apart.
                ratios: list[float] = []
                every: dict[str, tuple[list[float], int, float]] = {}
                for round_number in range(1, rounds + 1):
                    health_run = await _load(client, "GET", f"{base}/health", None, seconds, concurrency)
                    evals_run = await _load(client, "POST", f"{base}/v1/evaluations", bodies, seconds, concurrency)
                    health_rate = len(health_run[0]) / health_run[2]
                    evals_rate = len(evals_run[0]) / evals_run[2]
                    ratios.append(evals_rate / health_rate if health_rate else 0.0)
                    print(
                        f"   round {round_number}: /health {health_rate:,.0f} req/s, /v1/evaluations "
                        f"{evals_rate:,.0f} req/s, ratio {ratios[-1]:.0%}"
                    )
                    for label, (latencies, errors, elapsed) in (
                        ("GET /health", health_run),
                        ("POST /v1/evaluations", evals_run),
                    ):
                        kept = every.get(label, ([], 0, 0.0))
                        every[label] = (kept[0] + latencies, kept[1] + errors, kept[2] + elapsed)
                print(f"   all {rounds} rounds:")
                for label, run in every.items():
                    _report(label, *run)
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGINT)
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
    ratio = statistics.median(ratios)
    verdict = "ok" if ratio >= TARGET_RATIO else "below target"
    print(
        f"   evaluations / health throughput, median of {rounds} rounds: {ratio:.0%} "
        f"(rounds: {', '.join(f'{r:.0%}' for r in ratios)}; target ≥ {TARGET_RATIO:.0%}: {verdict})"
    )
    print("   note: the load generator runs on the same machine and competes with the server for CPU.")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each timed run")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent HTTP clients")
    parser.add_argument("--skip-server", action="store_true", help="only the in-process part")
    parser.add_argument("--rounds", type=int, default=3, help="HTTP rounds, each endpoint once a round")
    args = parser.parse_args()
    bench_in_process(args.seconds)
    if args.skip_server:
        return 0
    return asyncio.run(bench_server(args.seconds, args.concurrency, max(1, args.rounds)))


if __name__ == "__main__":
    raise SystemExit(main())
