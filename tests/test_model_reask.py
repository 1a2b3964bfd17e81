"""The model engine's gate (issue 12, item 6): before the pipeline drops a model's candidates
for error-level findings, it asks the model once more, telling it which candidates failed
and why. respx-mocked HTTP, as in test_llm_engine.py."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from prompts import default_library
from rewriter.domain import RewriteSpec
from rewriter.llm import OpenAIEngine, RetryPolicy, build_client
from rewriter.pipeline import RewritePipeline

BASE = "http://model.test/v1"
URL = f"{BASE}/chat/completions"
FAST = RetryPolicy(max_attempts=2, total_budget=5, initial_wait=0.001, max_wait=0.01)
SPEC = RewriteSpec(
    request="Upgrade Elasticsearch",
    context="It is out of support and eats the team's time",
    candidates=2,
    key_results=2,
)


def candidate(objective: str) -> dict:
    return {
        "objective": objective,
        "problem_statement": "Search is out of support and keeping it running eats the team's time.",
        "hypothesis": "We believe moving to a supported search engine will cut upkeep. We will know when upkeep hours "
        "fall.",
        "key_results": [
            {
                "text": "Reduce hours spent each month keeping search running from a baseline to be measured to a "
                "target to be agreed by the end of the quarter",
                "metric": "Hours spent keeping search running",
                "baseline": None,
                "target": None,
                "deadline": "end of the quarter",
            },
            {
                "text": "Keep availability of search at or above its current level (to be measured) through the "
                "quarter",
                "metric": "Availability of search",
                "baseline": None,
                "target": None,
                "deadline": None,
            },
        ],
    }


def reply(*objectives: str) -> httpx.Response:
    body = {"candidates": [candidate(o) for o in objectives]}
    return httpx.Response(
        200,
        json={
            "id": "c",
            "object": "chat.completion",
            "created": 1,
            "model": "test-model",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": json.dumps(body)}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
        },
    )


GOOD = "Make search easier to support and keep running"
SECOND_GOOD = "Make search resilient so customers can rely on it"
BAD = "Upgrade Elasticsearch to version 8"  # an output: the evaluators' error-level output_verb


@pytest.fixture
def pipeline() -> RewritePipeline:
    client = build_client(api_key="sk-test", base_url=BASE, timeout=5, transport="httpx")
    return RewritePipeline(
        OpenAIEngine(
            client=client,
            model="test-model",
            library=default_library(),
            retry=FAST,
            profile="openai",
            model_check="off",
        )
    )


@respx.mock
async def test_rejected_candidates_are_sent_back_with_their_findings_and_the_new_ones_join_the_passing(pipeline):
    route = respx.post(URL).mock(side_effect=[reply(GOOD, BAD), reply(SECOND_GOOD)])
    result = await pipeline.rewrite(SPEC)
    assert route.call_count == 2
    reask = json.loads(route.calls[1].request.content)["messages"]
    told = reask[-1]["content"]
    assert BAD in told and "output_verb" in told and GOOD not in told  # only the rejected one, with why
    assert reask[-2]["role"] == "assistant" and BAD in reask[-2]["content"]
    assert {c.objective for c in result.candidates} == {GOOD, SECOND_GOOD}
    assert all(c.evaluation.passed for c in result.candidates)
    assert result.usage.calls == 2 and result.usage.total_tokens == 60  # both calls are billed


@respx.mock
async def test_no_reask_when_enough_candidates_pass(pipeline):
    route = respx.post(URL).mock(side_effect=[reply(GOOD, SECOND_GOOD, BAD)])
    result = await pipeline.rewrite(SPEC)
    assert route.call_count == 1
    assert BAD not in [c.objective for c in result.candidates]


@respx.mock
async def test_a_failed_reask_keeps_the_first_answer_and_its_bill(pipeline):
    route = respx.post(URL).mock(side_effect=[reply(GOOD, BAD), httpx.Response(500), httpx.Response(500)])
    result = await pipeline.rewrite(SPEC)
    assert route.call_count == 3
    assert [c.objective for c in result.candidates] == [GOOD]
    assert result.usage.calls == 3
    assert "Only 1" in (result.notice or "")


@respx.mock
async def test_a_reask_that_fails_the_gate_again_is_dropped_not_returned(pipeline):
    respx.post(URL).mock(side_effect=[reply(BAD), reply(BAD)])
    result = await pipeline.rewrite(SPEC)
    assert result.candidates == []
    assert "output_verb" in (result.notice or "")
