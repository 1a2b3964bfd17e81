"""What a person running realise sees: JSON log lines on stderr (uvicorn's too) that say which
response format worked and what the provider said, and a CLI whose stdout is only its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest
from support.servers import free_port, model_env, run_mock_model, run_realise_server


@pytest.fixture(scope="module")
def llama_like():
    """A mock that, like llama.cpp's server, answers 500 to response_format json_schema."""
    with run_mock_model(reject_json_schema=True) as model:
        yield model


def test_server_logs_are_json_lines_from_uvicorns_first_line_and_name_the_format_that_worked(llama_like, tmp_path):
    with run_realise_server(env=model_env(llama_like, tmp_path)) as server:
        assert (
            httpx.post(f"{server.url}/v1/rewrites", json={"request": "Upgrade Elasticsearch"}, timeout=20).status_code
            == 200
        )
        log = server.output_tail(400)
    lines = [line for line in log.splitlines() if line.strip() and not line.startswith("--- ")]
    parsed = [json.loads(line) for line in lines]  # every line, uvicorn's included
    events = [entry["event"] for entry in parsed]
    assert any("Uvicorn running on" in event for event in events)
    accepted = [entry for entry in parsed if entry["event"] == "response_format_accepted"]
    assert accepted and accepted[0]["format"] == "json_object_schema"
    rejected = [entry for entry in parsed if entry["event"] == "response_format_rejected"]
    assert rejected and "JSON schema conversion failed" in rejected[0]["provider_message"]
    assert "sk-server-secret" not in log


def realise_cli(*args: str, env: dict[str, str | None]) -> subprocess.CompletedProcess[str]:
    merged = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "REALISE_"))}
    merged.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, env=merged, timeout=120
    )


def test_cli_rewrite_json_prints_only_json_on_stdout_and_logs_on_stderr(llama_like, tmp_path):
    done = realise_cli("rewrite", "Upgrade Elasticsearch", "--json", env=model_env(llama_like, tmp_path))
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)  # nothing but the JSON document
    assert body["engine"]["provider"] == "openai" and body["candidates"]
    assert "response_format_accepted" in done.stderr
    assert "Unclosed client session" not in done.stderr and "Unclosed" not in done.stdout


def test_cli_model_errors_go_to_stderr(tmp_path):
    env = {
        "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "REALISE_MODEL": "m",
        "REALISE_RETRY_ATTEMPTS": "1",
        "REALISE_DB_PATH": str(tmp_path / "r.db"),
        "REALISE_LOG_FORMAT": "json",
    }
    done = realise_cli("rewrite", "Upgrade Elasticsearch", "--json", env=env)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "could not reach the model server" in done.stderr
    assert "Unclosed client session" not in done.stderr
