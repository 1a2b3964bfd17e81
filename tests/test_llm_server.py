"""The model engine against real processes on loopback (the project's mock server, a closed port),
with the production HTTP transport: the faults a real OpenAI-compatible server showed (issue 13)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from support.servers import free_port, model_env, run_mock_model, run_realise_server

from prompts import default_library
from rewriter.batch.model import BacklogItem, BatchOptions
from rewriter.batch.runner import BatchRunner
from rewriter.batch.store import BatchStore
from rewriter.domain import RewriteSpec
from rewriter.errors import UpstreamUnavailable
from rewriter.llm import OpenAIEngine, RetryPolicy, build_client
from rewriter.pipeline import RewritePipeline

FAST = RetryPolicy(max_attempts=3, total_budget=10, initial_wait=0.001, max_wait=0.01)


@pytest.fixture(scope="module")
def llama_like():
    """A mock that, like llama.cpp's server, answers 500 to response_format json_schema."""
    with run_mock_model(reject_json_schema=True) as model:
        yield model


def engine_for(base_url: str, **options) -> OpenAIEngine:
    client = build_client(api_key=None, base_url=base_url, timeout=options.pop("timeout", 10.0))
    return OpenAIEngine(
        client=client, model="mock-model", library=default_library(), retry=options.pop("retry", FAST), **options
    )


async def test_many_simultaneous_json_schema_rejections_step_down_once(llama_like):
    """Each rejected call used to advance the shared format index: past json_object, to text, and
    past the end of the list (IndexError on every later rewrite)."""
    llama_like.reset()
    engine = engine_for(llama_like.base_url)
    try:
        results = await asyncio.gather(
            *(
                engine.generate(RewriteSpec(request=f"Improve the search page number {n}"), "delivery")
                for n in range(16)
            ),
            return_exceptions=True,
        )
        assert [r for r in results if isinstance(r, BaseException)] == []
        assert engine.response_format == "json_object_schema"
        later = await engine.generate(RewriteSpec(request="Improve the search page"), "delivery")
        assert later.drafts
    finally:
        await engine.close()
    sent = llama_like.stats()["requests"]
    # Every call asked for json_schema or for json_object with the schema; none fell to plain text.
    assert {(r["response_format"], r["schema"]) for r in sent} == {("json_schema", True), ("json_object", True)}
    assert sent[-1]["response_format"] == "json_object"


async def test_a_refused_connection_is_unavailable_not_a_timeout():
    """openai's aiohttp transport raises APITimeoutError for a refused connection; it is a 503."""
    engine = engine_for(f"http://127.0.0.1:{free_port()}/v1")
    try:
        with pytest.raises(UpstreamUnavailable, match="could not reach the model server"):
            await engine.generate(RewriteSpec(request="Upgrade Elasticsearch"), "delivery")
        assert engine.readiness()["model"].startswith("unchecked")
    finally:
        await engine.close()


async def test_the_probe_learns_from_the_servers_model_list(llama_like):
    engine = engine_for(llama_like.base_url)
    try:
        await engine.generate(RewriteSpec(request="Upgrade Elasticsearch"), "delivery")
        assert engine.server is not None and engine.server.models == ("mock-model",)
        assert engine.readiness()["model"] == "served"
    finally:
        await engine.close()


async def test_timeouts_lower_the_batch_concurrency_like_429s_and_are_not_retried_locally(tmp_path):
    store = BatchStore(tmp_path / "batches.db")
    with run_mock_model() as model:
        model.script([{"delay": 3.0}])
        engine = engine_for(model.base_url, timeout=0.5)
        runner = BatchRunner(store, RewritePipeline(engine), concurrency=4, retry_delay=0.0)
        seen: list[int] = []
        engine.rate_limit_listeners.append(lambda retry_after: seen.append(runner.limit.current))
        items = [BacklogItem(where=f"line {n}", request=f"Improve the search page number {n}") for n in range(3)]
        batch_id = store.create(items, options=BatchOptions(), source="test", input_digest="0" * 64).id
        try:
            batch = await runner.run(batch_id)
        finally:
            await engine.close()
            store.close()
        requests = model.stats()["requests"]
    assert (batch.done, batch.failed) == (3, 0)  # the timed-out item ran again on the next pass
    assert seen == [2]  # halved by the timeout
    assert len(requests) == 4  # three items and one second pass: no retry queued behind the slow call


def test_a_wrong_model_name_degrades_ready_and_is_a_502_that_names_the_served_models(llama_like, tmp_path):
    with run_realise_server(env=model_env(llama_like, tmp_path, REALISE_MODEL="smollm-typo")) as server:
        ready = httpx.get(f"{server.url}/ready", timeout=10).json()
        for _ in range(50):  # the start-up check runs in the background
            if ready["checks"]["model"] != "unchecked: the model server has not answered yet":
                break
            ready = httpx.get(f"{server.url}/ready", timeout=10).json()
        response = httpx.post(f"{server.url}/v1/rewrites", json={"request": "Upgrade Elasticsearch"}, timeout=20)
        log = server.output_tail(400)
    assert ready["status"] == "degraded" and "mock-model" in ready["checks"]["model"]
    assert response.status_code == 502
    body = response.json()
    assert body["title"] == "Bad gateway: the model provider refused the request"
    assert "'smollm-typo'" in body["detail"] and "mock-model" in body["detail"]
    assert '"event": "model_not_served"' in log
