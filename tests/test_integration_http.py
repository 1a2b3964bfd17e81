"""Real processes over real HTTP on loopback: the realise server and a mock OpenAI-compatible model."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
from support.servers import model_env as servers_model_env
from support.servers import run_mock_model, run_realise_server

SECRET_MODEL_KEY = "sk-integration-secret-abcdef123456"


@pytest.fixture(scope="module")
def model():
    with run_mock_model(reject_json_schema=True) as mock:
        yield mock


@pytest.fixture
def fresh_model(model):
    model.reset()
    return model


def model_env(model, tmp_path, **extra: str | None) -> dict[str, str | None]:
    return servers_model_env(model, tmp_path, key=SECRET_MODEL_KEY, retry_budget="10", **extra)


def test_offline_by_default_with_no_key_and_no_server(tmp_path):
    env = {
        "OPENAI_API_KEY": None,
        "OPENAI_BASE_URL": None,
        "REALISE_MODEL": None,
        "REALISE_ENGINE": None,
        "REALISE_DB_PATH": str(tmp_path / "realise.db"),
    }
    with run_realise_server(env=env) as server:
        body = httpx.post(f"{server.url}/v1/rewrites", json={"request": "Upgrade Elasticsearch"}, timeout=10).json()
    assert body["engine"]["provider"] == "offline"
    assert body["candidates"][0]["evaluation"]["objective"]["kind"] == "outcome"
    assert not any(re.search(r"\d", kr["text"]) for c in body["candidates"] for kr in c["key_results"])


def test_rewrite_uses_the_configured_server_and_steps_down_from_json_schema(fresh_model, tmp_path):
    with run_realise_server(env=model_env(fresh_model, tmp_path)) as server:
        first = httpx.post(
            f"{server.url}/v1/rewrites",
            json={"request": "Upgrade Elasticsearch", "context": "Out of support"},
            timeout=20,
        )
        second = httpx.post(f"{server.url}/v1/rewrites", json={"request": "Build a chatbot"}, timeout=20)
        third = httpx.post(f"{server.url}/v1/rewrites", json={"request": "Migrate the billing database"}, timeout=20)
        ready = httpx.get(f"{server.url}/ready").json()
        log = server.output_tail(200)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["engine"] == {
        "provider": "openai",
        "model": "mock-model",
        "prompt": "rewrite-delivery@1.1.0",
        "fallback_reason": None,
    }
    # The mock rejects json_schema like llama.cpp: one rejected call, one json_object call.
    assert body["usage"]["calls"] == 2 and body["usage"]["total_tokens"] > 0
    assert [c["rank"] for c in body["candidates"]] == list(range(1, len(body["candidates"]) + 1))
    formats = [r["response_format"] for r in fresh_model.stats()["requests"]]
    # Refused for a second, different request too: remembered for the third rewrite.
    assert formats == ["json_schema", "json_object", "json_schema", "json_object", "json_object"]
    assert second.json()["usage"]["calls"] == 2 and third.json()["usage"]["calls"] == 1
    assert fresh_model.stats()["requests"][0]["request_text"] == "Upgrade Elasticsearch"
    assert ready["engine"] == "openai" and ready["model"] == "mock-model"
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{") and line.endswith("}")]
    access = [line for line in lines if line.get("event") == "request" and line.get("path") == "/v1/rewrites"]
    assert access and access[0]["engine"] == "openai" and access[0]["model"] == "mock-model" and access[0]["tokens"] > 0
    assert SECRET_MODEL_KEY not in log


def test_model_faults_over_http_end_in_clean_gateway_errors(fresh_model, tmp_path):
    env = model_env(fresh_model, tmp_path, REALISE_RETRY_ATTEMPTS="2")
    with run_realise_server(env=env) as server:

        def rewrite() -> httpx.Response:
            # A request whose mock candidates pass the gate, so no re-ask adds calls to count.
            return httpx.post(f"{server.url}/v1/rewrites", json={"request": "Upgrade Elasticsearch"}, timeout=20)

        fresh_model.script([{"drop_connection": True}, {"drop_connection": True}])
        reset = rewrite()
        fresh_model.script([{"status": 500}, {"status": 500}])
        storm = rewrite()
        fresh_model.script([{"content": "not json at all"}, {"content": '{"candidates": "wrong shape"}'}])
        garbage = rewrite()
        fresh_model.script([{"status": 429, "headers": {"Retry-After": "0"}}, {"status": 200}])
        recovered = rewrite()
    assert reset.status_code == 503 and storm.status_code == 503
    assert garbage.status_code == 502
    for response in (reset, storm, garbage):
        assert response.headers["content-type"].startswith("application/problem+json")
    assert recovered.status_code == 200 and recovered.json()["usage"]["calls"] == 2


def test_client_disconnect_cancels_the_model_call(fresh_model, tmp_path):
    with run_realise_server(env=model_env(fresh_model, tmp_path)) as server:
        fresh_model.script([{"delay": 5, "status": 200}])
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{server.url}/v1/rewrites", json={"request": "Upgrade Elasticsearch"}, timeout=0.5)
        # The server notices, cancels the model call and logs a 499 long before the 5 s reply.
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline and '"status": 499' not in server.output_tail(200):
            time.sleep(0.05)
        log = server.output_tail(200)
    assert '"status": 499' in log
    assert time.monotonic() - started < 5
