"""realise against a real OpenAI-compatible server: llama-cpp-python serving SmolLM2-135M.

Run by ``make test-llama`` (which builds the server and extracts the model first); not part
of ``make test``. It starts ``python -m llama_cpp.server`` on loopback (no --chat_format: the
chat template is in the GGUF file) and realise with the slow-local-model settings from the
README, then runs:

1. ten rewrites, one at a time;
2. a ten-item batch;
3. a rewrite after the model server was killed (expected: 503 "could not reach");
4. a realise started with a model name the server does not serve (expected: /ready
   degraded, 502 naming the served model).

It prints what each gave and ends with a summary; nothing is downloaded while it runs. A 500
from realise, or fewer than 8 of 10 rewrites answered by the model, makes it exit 1.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import httpx

from tests.support.servers import ServerProcess, free_port, run_realise_server

ROOT = Path(__file__).resolve().parents[1]


MODEL_ALIAS = "smollm2"
# The README's slow-local-model profile: one call at a time, room for a CPU-speed answer.
SLOW_LOCAL = {
    "REALISE_MODEL_TIMEOUT": "120",
    "REALISE_MAX_TOKENS": "1000",
    "REALISE_REQUEST_DEADLINE": "300",
    "REALISE_RETRY_ATTEMPTS": "2",
    "REALISE_RETRY_BUDGET": "150",
    "REALISE_BATCH_CONCURRENCY": "1",
}
REWRITES = [
    ("Add dark mode to the dashboard", None),
    ("Upgrade Elasticsearch", "It is out of support and eats our time"),
    ("Build a customer portal for invoices", "Customers call us to get copies of their invoices"),
    ("As a support agent, I want canned replies so that I answer common questions faster", None),
    ("Migrate the CI pipeline from Jenkins to GitHub Actions", "Builds take 40 minutes and break weekly"),
    ("Checkout page crashes when the basket has more than 20 items", None),
    ("Launch a podcast about our product", None),
    ("Add single sign-on with Google to the admin console", "Admins forget their passwords"),
    ("Rewrite the onboarding emails", "Few new users finish setting up their account"),
    ("Explore personalisation for the home page", None),
]
BATCH = [
    "Add a CSV export to the reports page",
    "Upgrade the PostgreSQL database to version 16",
    "Build a mobile app for field technicians",
    "Add two-factor authentication to the login",
    "Redesign the pricing page",
    "Set up a status page for outages",
    "Add search to the help centre",
    "Automate the monthly invoice run",
    "Create a dashboard for warehouse stock levels",
    "Translate the shop into German",
]


def short(text: str | None, width: int = 150) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


class Report:
    def __init__(self, out: Path | None) -> None:
        self.lines: list[str] = []
        self.out = out
        self.statuses: list[int] = []

    def say(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def save(self) -> None:
        if self.out is not None:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.out.write_text("\n".join(self.lines) + "\n")


def start_llama(python: str, model: Path, port: int, log_dir: Path) -> ServerProcess:
    command = [
        python, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--verbose", "False",
    ]  # fmt: skip
    server = ServerProcess(command, log_dir)
    server.wait_until(lambda: _answers(f"http://127.0.0.1:{port}/v1/models"), timeout=120)
    return server


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def rewrite(report: Report, url: str, request: str, context: str | None) -> dict:
    started = time.monotonic()
    response = httpx.post(
        f"{url}/v1/rewrites",
        json={"request": request, "context": context, "candidates": 2, "key_results": 2},
        timeout=400,
    )
    seconds = time.monotonic() - started
    report.statuses.append(response.status_code)
    body = response.json()
    if response.status_code != 200:
        report.say(
            f"  → HTTP {response.status_code} in {seconds:.1f} s: {body.get('title')}: {short(body.get('detail'))}"
        )
        return {"status": response.status_code}
    usage, engine = body["usage"], body["engine"]
    report.say(
        f"  → HTTP 200 in {seconds:.1f} s, engine {engine['provider']}/{engine['model']}, {usage['calls']} call(s), "
        f"{usage['total_tokens']} tokens; {len(body['candidates'])} candidate(s) passed the evaluators"
    )
    for candidate in body["candidates"]:
        report.say(f"     #{candidate['rank']} ({candidate['score']:.2f}) {short(candidate['objective'])}")
    if body.get("notice"):
        report.say(f"     notice: {short(body['notice'], 400)}")
    return {"status": 200, "model": engine["provider"] == "openai", "passed": len(body["candidates"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llama-python", required=True, help="the python of the venv with llama-cpp-python[server]")
    parser.add_argument("--model", type=Path, required=True, help="the GGUF file")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    report = Report(args.out)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    with tempfile.TemporaryDirectory(prefix="realise-llama-") as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "llama").mkdir()
        llama = start_llama(args.llama_python, args.model, port, tmp_path / "llama")
        env = {
            "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": None, "REALISE_MODEL": MODEL_ALIAS, "REALISE_ENGINE": None,
            "REALISE_FALLBACK": None, "REALISE_MODEL_PROFILE": None, "REALISE_DB_PATH": str(tmp_path / "realise.db"),
            "REALISE_LOG_FORMAT": "json", **SLOW_LOCAL,
        }  # fmt: skip
        results = []
        try:
            report.say(f"# realise against llama-cpp-python ({args.model.name}, alias {MODEL_ALIAS}) on {base_url}")
            report.say(f"# settings: {' '.join(f'{k}={v}' for k, v in SLOW_LOCAL.items())}")
            with run_realise_server(env=env) as realise:
                ready = httpx.get(f"{realise.url}/ready", timeout=10).json()
                for _ in range(100):
                    if not ready["checks"].get("model", "").startswith("unchecked"):
                        break
                    time.sleep(0.1)
                    ready = httpx.get(f"{realise.url}/ready", timeout=10).json()
                report.say(f"/ready: {ready['status']}, checks {ready['checks']}")
                report.say()
                report.say("## 1. Ten rewrites (2 candidates, 2 key results each)")
                for number, (request, context) in enumerate(REWRITES, start=1):
                    report.say(f"{number:2}. {request}" + (f"  [context: {context}]" if context else ""))
                    results.append(rewrite(report, realise.url, request, context))
                report.say()
                report.say("## 2. A ten-item batch (REALISE_BATCH_CONCURRENCY=1)")
                created = httpx.post(
                    f"{realise.url}/v1/batches",
                    json={
                        "items": [{"request": text} for text in BATCH],
                        "options": {"candidates": 2, "key_results": 2},
                    },
                    timeout=30,
                )
                report.statuses.append(created.status_code)
                batch_id = created.json()["id"]
                started = time.monotonic()
                while True:
                    status = httpx.get(f"{realise.url}/v1/batches/{batch_id}", timeout=10).json()
                    if status["status"] not in ("queued", "running") or time.monotonic() - started > 1500:
                        break
                    time.sleep(2)
                report.say(
                    f"batch {status['status']} in {time.monotonic() - started:.0f} s: {status['done']} done, "
                    f"{status['failed']} failed, "
                    f"{status['tokens']} tokens"
                )
                rows = httpx.get(f"{realise.url}/v1/batches/{batch_id}/results", timeout=30).text.splitlines()
                batch_passed = 0
                for line in rows:
                    row = json.loads(line)
                    batch_passed += bool(row.get("objective") and row.get("passed"))
                    what = row.get("objective") or row.get("error") or row.get("notice")
                    report.say(f"  {row['status']:6} {short(row['request'], 50):50} → {short(what, 110)}")
                report.say(f"  rows with a passing objective: {batch_passed} of {len(rows)}")
                report.say()
                report.say("## 3. The model server killed mid-run")
                llama.kill()
                started = time.monotonic()
                killed = httpx.post(
                    f"{realise.url}/v1/rewrites", json={"request": "Add dark mode to the dashboard"}, timeout=400
                )
                report.statuses.append(killed.status_code)
                report.say(
                    f"  → HTTP {killed.status_code} in {time.monotonic() - started:.1f} s: "
                    f"{killed.json().get('title')}: "
                    f"{short(killed.json().get('detail'))} (Retry-After: {killed.headers.get('retry-after')})"
                )
                log = realise.output_tail(2000)
            report.say()
            report.say("## 4. A model name the server does not serve")
            (tmp_path / "llama2").mkdir()
            llama = start_llama(args.llama_python, args.model, port, tmp_path / "llama2")
            with run_realise_server(
                env={**env, "REALISE_MODEL": "smollm2-typo", "REALISE_DB_PATH": str(tmp_path / "r2.db")}
            ) as wrong:
                ready = httpx.get(f"{wrong.url}/ready", timeout=10).json()
                for _ in range(100):
                    if not ready["checks"].get("model", "").startswith("unchecked"):
                        break
                    time.sleep(0.1)
                    ready = httpx.get(f"{wrong.url}/ready", timeout=10).json()
                report.say(f"  /ready: {ready['status']}, model check: {short(ready['checks'].get('model'), 200)}")
                refused = httpx.post(
                    f"{wrong.url}/v1/rewrites", json={"request": "Add dark mode to the dashboard"}, timeout=60
                )
                report.statuses.append(refused.status_code)
                report.say(
                    f"  → HTTP {refused.status_code}: {refused.json().get('title')}: "
                    f"{short(refused.json().get('detail'), 200)}"
                )
        finally:
            llama.stop()
        answered = sum(1 for r in results if r.get("status") == 200 and r.get("model"))
        passed = sum(r.get("passed", 0) for r in results)
        with_candidate = sum(1 for r in results if r.get("passed"))
        errors_500 = sum(1 for s in report.statuses if s >= 500 and s not in (502, 503, 504))
        formats = sorted(
            {
                line.split('"format": "')[1].split('"')[0]
                for line in log.splitlines()
                if "response_format_accepted" in line
            }
        )
        report.say()
        report.say("## Summary")
        report.say(f"rewrites answered by the model: {answered} of {len(REWRITES)}")
        report.say(
            f"rewrites with at least one candidate passing the evaluators: {with_candidate} of {len(REWRITES)} "
            f"({passed} candidates in all)"
        )
        report.say(f"response format(s) the server accepted: {', '.join(formats) or 'none'}")
        report.say(f"HTTP statuses seen: {sorted(set(report.statuses))}; 500s: {errors_500}")
        report.save()
        return 0 if errors_500 == 0 and answered >= 8 else 1


if __name__ == "__main__":
    raise SystemExit(main())
