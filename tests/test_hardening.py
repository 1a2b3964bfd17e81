"""Access, limits, observability and fault handling of the app (in-process)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.config import Settings
from api.observability import configure_logging
from api.schemas import EvaluationIn, RewriteIn, max_body_bytes
from rewriter.circuit import CircuitBreaker
from rewriter.domain import Generation, RewriteSpec
from rewriter.errors import UpstreamUnavailable
from rewriter.offline import OfflineEngine

KEY = "rk-live-7f3a9c2e1b5d4f60"
OTHER_KEY = "rk-live-0000aaaa1111bbbb"
MODEL_KEY = "sk-model-provider-secret-123456"
EVALUATION = {
    "objective": "Grow weekly active teams",
    "key_results": ["Weekly active teams grow from 1,200 to 2,000 by June"],
}


def make_client(tmp_path, **overrides) -> TestClient:
    settings = Settings(engine="offline", db_path=str(tmp_path / "r.db"), log_format="json", **overrides)
    return TestClient(app=create_app(settings))


def test_keys_required_on_v1_only_when_configured(tmp_path):
    with make_client(tmp_path, api_keys=f"{KEY},{OTHER_KEY}") as client:
        denied = client.post("/v1/evaluations", json=EVALUATION)
        assert denied.status_code == 401
        assert denied.headers["content-type"].startswith("application/problem+json")
        assert denied.headers["www-authenticate"].startswith("Bearer")
        assert (
            client.post("/v1/evaluations", json=EVALUATION, headers={"Authorization": "Bearer wrong"}).status_code
            == 401
        )
        assert (
            client.post("/v1/evaluations", json=EVALUATION, headers={"Authorization": f"Bearer {KEY}"}).status_code
            == 200
        )
        assert client.post("/v1/evaluations", json=EVALUATION, headers={"X-API-Key": OTHER_KEY}).status_code == 200
        for open_path in ["/health", "/ready", "/schema/openapi.json", "/metrics"]:
            assert client.get(open_path).status_code == 200, open_path


def test_keys_file_holds_only_digests(tmp_path):
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text(f"# team A\n{hashlib.sha256(KEY.encode()).hexdigest()}\n\n")
    with make_client(tmp_path, api_keys_file=str(keys_file)) as client:
        assert client.post("/v1/evaluations", json=EVALUATION, headers={"X-API-Key": KEY}).status_code == 200
        assert client.post("/v1/evaluations", json=EVALUATION, headers={"X-API-Key": OTHER_KEY}).status_code == 401


def test_keys_file_with_plain_keys_is_refused(tmp_path):
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text(KEY + "\n")
    with pytest.raises(ValueError, match="SHA-256"):
        create_app(Settings(engine="offline", db_path=str(tmp_path / "r.db"), api_keys_file=str(keys_file)))


def test_no_secret_ever_reaches_the_logs(tmp_path):
    stream = io.StringIO()
    settings = Settings(
        engine="offline", db_path=str(tmp_path / "r.db"), log_format="json", api_keys=KEY, openai_api_key=MODEL_KEY
    )
    app = create_app(settings)
    configure_logging(fmt="json", secrets=[KEY, MODEL_KEY], stream=stream)  # capture what the app logs
    with TestClient(app=app) as client:
        client.post(
            "/v1/rewrites", json={"request": "Upgrade Elasticsearch"}, headers={"Authorization": f"Bearer {KEY}"}
        )
        client.post("/v1/evaluations", json=EVALUATION, headers={"X-API-Key": KEY})
        client.post("/v1/evaluations", json=EVALUATION, headers={"Authorization": "Bearer guessed-token-value-99"})
        client.post("/v1/evaluations", json=EVALUATION, headers={"X-API-Key": "sk-guessed-key-1234567890"})
    logs = stream.getvalue()
    lines = [json.loads(line) for line in logs.splitlines()]
    statuses = [line["status"] for line in lines if line.get("event") == "request"]
    assert statuses == [200, 200, 401, 401]
    for secret in [KEY, MODEL_KEY, "guessed-token-value-99", "sk-guessed-key-1234567890"]:
        assert secret not in logs


def test_cors_allows_listed_extension_origins_and_exposes_rate_headers(tmp_path):
    extension = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    with make_client(tmp_path, cors_origins=f"{extension},moz-extension://1234-5678", api_keys=KEY) as client:
        preflight = client.options(
            "/v1/rewrites",
            headers={
                "Origin": extension,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert preflight.status_code in (200, 204)
        assert preflight.headers["access-control-allow-origin"] == extension
        response = client.post("/v1/evaluations", json=EVALUATION, headers={"Origin": extension, "X-API-Key": KEY})
        assert response.headers["access-control-allow-origin"] == extension
        assert "ratelimit-remaining" in response.headers["access-control-expose-headers"].lower()
        stranger = client.post(
            "/v1/evaluations", json=EVALUATION, headers={"Origin": "https://evil.example", "X-API-Key": KEY}
        )
        assert "access-control-allow-origin" not in stranger.headers


def test_rate_limit_per_key_with_ietf_headers_and_retry_after(tmp_path):
    with make_client(tmp_path, api_keys=f"{KEY},{OTHER_KEY}", rate_limit="3/minute") as client:
        remaining = []
        for _ in range(3):
            response = client.post("/v1/evaluations", json=EVALUATION, headers={"X-API-Key": KEY})
            assert response.status_code == 200
            remaining.append(int(response.headers["ratelimit-remaining"]))
            assert response.headers["ratelimit-limit"] == "3"
        assert remaining == [2, 1, 0]
        limited = client.post("/v1/evaluations", json=EVALUATION, headers={"X-API-Key": KEY})
        assert limited.status_code == 429
        assert limited.headers["content-type"].startswith("application/problem+json")
        assert int(limited.headers["retry-after"]) >= 1
        # Another key has its own budget; health checks are never limited.
        assert client.post("/v1/evaluations", json=EVALUATION, headers={"X-API-Key": OTHER_KEY}).status_code == 200
        assert client.get("/health").status_code == 200


@pytest.mark.parametrize(
    ("path", "field_size"),
    [("/v1/rewrites", max_body_bytes(RewriteIn) + 1), ("/v1/evaluations", max_body_bytes(EvaluationIn) + 1)],
)
def test_oversized_bodies_are_413_problems(tmp_path, path, field_size):
    with make_client(tmp_path) as client:
        body = {"request": "x" * field_size} if path == "/v1/rewrites" else {"objective": "x" * field_size}
        response = client.post(path, content=json.dumps(body).encode(), headers={"content-type": "application/json"})
        assert response.status_code == 413
        assert response.headers["content-type"].startswith("application/problem+json")


class FlakyEngine:
    """Fails with 'unavailable' for the first ``failures`` calls, then answers offline."""

    provider = "openai"
    model = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.offline = OfflineEngine()

    def cache_identity(self, mission):
        return "flaky"

    async def generate(self, spec: RewriteSpec, mission) -> Generation:
        self.calls += 1
        if self.calls <= self.failures:
            raise UpstreamUnavailable("down", attempts=1)
        return self.offline.generate_now(spec, mission)


def test_circuit_opens_after_consecutive_failures_and_ready_degrades(tmp_path):
    engine = FlakyEngine(failures=100)
    settings = Settings(engine="offline", db_path=str(tmp_path / "r.db"), circuit_threshold=3, circuit_cooldown=60)
    with TestClient(app=create_app(settings, engine=engine)) as client:
        for _ in range(3):
            assert client.post("/v1/rewrites", json={"request": "Upgrade Elasticsearch"}).status_code == 503
        assert client.get("/ready").json()["status"] == "degraded"
        fast = client.post("/v1/rewrites", json={"request": "Upgrade Elasticsearch"})
        assert fast.status_code == 503 and "cool-down" in fast.json()["detail"]
        assert engine.calls == 3  # failed fast: the provider was not called again
        assert 1 <= int(fast.headers["retry-after"]) <= 60
        metrics = client.get("/metrics").text
        assert "realise_model_circuit_state 2.0" in metrics
        assert 'realise_model_errors_total{error="UpstreamUnavailable",model="flaky",provider="openai"} 3.0' in metrics


def test_circuit_half_opens_after_cooldown_and_closes_on_success():
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=lambda: now[0])
    breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    now[0] = 10.5
    assert breaker.state == "half_open"
    assert breaker.allow() and not breaker.allow()  # one trial at a time
    breaker.record_failure()
    assert breaker.state == "open"  # the trial failed: a fresh cool-down
    now[0] = 21
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


def test_metrics_count_requests_by_route_and_status(tmp_path):
    with make_client(tmp_path) as client:
        client.post("/v1/evaluations", json=EVALUATION)
        client.post("/v1/evaluations", json={"objective": ""})
        submitted = client.post(
            "/v1/batches", json={"items": [{"request": "Upgrade Elasticsearch"}, {"request": "Build a portal"}]}
        )
        assert submitted.status_code == 202
        text = client.get("/metrics").text
    assert 'realise_batch_items{state="pending"}' in text or 'realise_batch_items{state="done"}' in text
    counts = {
        line.split('"')[1]: float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("realise_batch_items{")
    }
    assert counts["pending"] + counts["done"] + counts["failed"] == 2
    assert "realise_requests_total{" in text
    assert 'path="/v1/evaluations"' in text and 'status_code="422"' in text
    assert "realise_request_duration_seconds_bucket" in text


class SlowEngine:
    provider = "openai"
    model = "slow"

    def __init__(self) -> None:
        self.cancelled = asyncio.Event()

    def cache_identity(self, mission):
        return "slow"

    async def generate(self, spec, mission):
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise


def test_request_deadline_is_a_504_and_cancels_the_model_call(tmp_path):
    engine = SlowEngine()
    settings = Settings(engine="offline", db_path=str(tmp_path / "r.db"), request_deadline=0.2)
    with TestClient(app=create_app(settings, engine=engine)) as client:
        response = client.post("/v1/rewrites", json={"request": "Upgrade Elasticsearch"})
    assert response.status_code == 504
    assert engine.cancelled.is_set()


class BilledFailureEngine:
    """Fails as a model does after two unusable replies it was still billed for."""

    provider = "openai"
    model = "billed-failure"

    def cache_identity(self, mission):
        return "billed-failure"

    async def generate(self, spec: RewriteSpec, mission) -> Generation:
        from rewriter.domain import Usage
        from rewriter.errors import UpstreamBadOutput

        raise UpstreamBadOutput(
            "unusable twice",
            attempts=2,
            usage=Usage(calls=2, prompt_tokens=1200, completion_tokens=800, total_tokens=2000),
        )


@pytest.mark.parametrize("fallback", ["none", "offline"])
def test_tokens_of_failed_model_calls_reach_the_metrics_and_a_fallbacks_usage(tmp_path, fallback):
    settings = Settings(engine="offline", db_path=str(tmp_path / "r.db"), fallback=fallback)
    with TestClient(app=create_app(settings, engine=BilledFailureEngine())) as client:
        before = _tokens(client.get("/metrics").text)
        response = client.post("/v1/rewrites", json={"request": "Upgrade Elasticsearch"})
        after = _tokens(client.get("/metrics").text)
    if fallback == "offline":
        assert response.status_code == 200 and response.json()["usage"]["total_tokens"] == 2000
    else:
        assert response.status_code == 502
    assert (after[0] - before[0], after[1] - before[1]) == (1200, 800)


def _tokens(metrics: str) -> tuple[float, float]:
    found = {"prompt": 0.0, "completion": 0.0}
    for line in metrics.splitlines():
        if line.startswith("realise_model_tokens_total{") and 'model="billed-failure"' in line:
            kind = line.split('kind="')[1].split('"')[0]
            found[kind] = float(line.rsplit(" ", 1)[1])
    return found["prompt"], found["completion"]
