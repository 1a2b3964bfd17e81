"""The model engine against respx-mocked HTTP: retries, fallbacks, re-asks and error mapping.

respx intercepts httpx, not httpx2 (openai ≥ 3's stack), so these tests build the engine's client
with ``transport="httpx"`` (a plain ``httpx.AsyncClient``). Production uses the SDK's aiohttp
transport (see rewriter/llm.py ``build_client``); the integration tests drive that one against
the loopback mock server.
"""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from support.model_replies import GOOD_REPLY, completion, ok

from prompts import default_library
from rewriter.domain import RewriteSpec
from rewriter.errors import UpstreamBadOutput, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable
from rewriter.llm import OpenAIEngine, RetryPolicy, build_client, extract_json, retry_after_seconds

BASE = "http://model.test/v1"
URL = f"{BASE}/chat/completions"
FAST = RetryPolicy(max_attempts=4, total_budget=10, initial_wait=0.001, max_wait=0.01)


@pytest.fixture
def engine():
    client = build_client(api_key="sk-test-secret-key", base_url=BASE, timeout=5, transport="httpx")
    return OpenAIEngine(
        client=client, model="test-model", library=default_library(), retry=FAST, profile="openai", model_check="off"
    )


SPEC = RewriteSpec(request="Upgrade Elasticsearch", context="It is out of support", candidates=3, key_results=2)


def sent_formats(route) -> list[str | None]:
    return [json.loads(call.request.content).get("response_format", {}).get("type") for call in route.calls]


def sent_forms(route) -> list[str]:
    """How each call asked for structure: the response_format type, "+schema" when a schema came with it."""
    forms = []
    for call in route.calls:
        body = json.loads(call.request.content)
        fmt = body.get("response_format") or {}
        name = fmt.get("type") or ("guided_json" if "guided_json" in body else "text")
        if "schema" in fmt or "schema" in (fmt.get("json_schema") or {}) or "guided_json" in body:
            name += "+schema"
        if "format" in body:
            name += "+format"
        forms.append(name)
    return forms


@respx.mock
async def test_success_asks_for_json_schema_and_reports_usage(engine):
    route = respx.post(URL).mock(return_value=ok())
    generation = await engine.generate(
        RewriteSpec(request="Replace the Zendesk search widget", context="Agents hate it"), "delivery"
    )
    assert generation.drafts[0].objective == "Make search easier to support and keep running"
    assert generation.engine.provider == "openai" and generation.engine.prompt == "rewrite-delivery@1.1.0"
    assert generation.usage.calls == 1 and generation.usage.total_tokens == 30
    assert sent_formats(route) == ["json_schema"]
    body = json.loads(route.calls[0].request.content)
    # User text is delimited data in the user message, never in the system prompt.
    assert "Zendesk" not in body["messages"][0]["content"] and "Agents hate" not in body["messages"][0]["content"]
    assert "<request>\nReplace the Zendesk search widget\n</request>" in body["messages"][1]["content"]
    assert "<context>\nAgents hate it\n</context>" in body["messages"][1]["content"]


@respx.mock
async def test_json_schema_rejected_steps_down_and_remembers_once_a_second_request_is_refused_too(engine):
    """The first refused request steps down alone; a second, different one refused the same form
    shows it is the server's rule, and from then on every call starts a step lower."""
    rejection = httpx.Response(
        500, json={"error": {"code": 500, "message": "JSON schema conversion failed", "type": "server_error"}}
    )
    route = respx.post(URL).mock(side_effect=[rejection, ok(), rejection, ok(), ok()])
    await engine.generate(SPEC, "delivery")
    assert engine.response_format == "json_schema"
    await engine.generate(RewriteSpec(request="Build a chatbot"), "delivery")
    await engine.generate(RewriteSpec(request="Replace the search widget"), "delivery")
    assert sent_formats(route) == ["json_schema", "json_object", "json_schema", "json_object", "json_object"]
    assert engine.response_format == "json_object_schema"


@respx.mock
async def test_json_object_rejected_too_falls_back_to_plain_text(engine):
    route = respx.post(URL).mock(
        side_effect=[httpx.Response(400, json={"error": {"message": "response_format not supported"}})] * 3
        + [ok("Sure! Here it is:\n```json\n" + json.dumps(GOOD_REPLY) + "\n```")]
    )
    generation = await engine.generate(SPEC, "delivery")
    assert sent_forms(route) == ["json_schema+schema", "json_object+schema", "json_object", "text"]
    assert generation.drafts[0].key_results[0].metric == "support hours"


@respx.mock
async def test_the_json_object_step_carries_the_schema_as_llama_cpp_takes_it(engine):
    """A server that rejects json_schema gets json_object *with* the schema next: llama.cpp compiles
    it to a grammar, and a small model's replies become usable."""
    rejection = httpx.Response(
        500, json={"error": {"code": 500, "message": "JSON schema conversion failed", "type": "server_error"}}
    )
    route = respx.post(URL).mock(side_effect=[rejection, ok()])
    await engine.generate(SPEC, "delivery")
    second = json.loads(route.calls[1].request.content)["response_format"]
    assert second["type"] == "json_object"
    assert second["schema"]["required"] == ["candidates"]
    assert second["schema"]["properties"]["candidates"]["items"]["required"] == [
        "objective",
        "problem_statement",
        "hypothesis",
        "key_results",
    ]


@respx.mock
async def test_malformed_json_is_reasked_once_with_the_error(engine):
    route = respx.post(URL).mock(side_effect=[ok("{not json"), ok()])
    generation = await engine.generate(SPEC, "delivery")
    assert route.call_count == 2
    reask = json.loads(route.calls[1].request.content)["messages"]
    assert reask[-2] == {"role": "assistant", "content": "{not json"}
    assert "could not be used" in reask[-1]["content"]
    assert generation.usage.calls == 2 and generation.usage.total_tokens == 60


@respx.mock
async def test_invalid_twice_is_a_bad_output_error(engine):
    wrong_shape = {"objectives": ["Make search better"]}
    route = respx.post(URL).mock(return_value=ok(wrong_shape))
    with pytest.raises(UpstreamBadOutput):
        await engine.generate(SPEC, "delivery")
    assert route.call_count == 2


@respx.mock
async def test_truncated_output_is_reasked_then_fails(engine):
    route = respx.post(URL).mock(return_value=ok('{"candidates": [{"objective": "Make', finish_reason="length"))
    with pytest.raises(UpstreamBadOutput, match="cut off"):
        await engine.generate(SPEC, "delivery")
    assert route.call_count == 2


@respx.mock
async def test_refusal_is_not_retried(engine):
    route = respx.post(URL).mock(return_value=ok(None, refusal="I can't help with that."))
    with pytest.raises(UpstreamBadOutput, match="refused"):
        await engine.generate(SPEC, "delivery")
    assert route.call_count == 1


@respx.mock
async def test_empty_choices_is_reasked(engine):
    empty = completion("x")
    empty["choices"] = []
    route = respx.post(URL).mock(side_effect=[httpx.Response(200, json=empty), ok()])
    generation = await engine.generate(SPEC, "delivery")
    assert route.call_count == 2 and generation.drafts


@pytest.mark.parametrize(
    "body",
    [b"<html>Bad gateway</html>", b'{"choices": "none"}', b'{"choices": [{"message": {"content": 5}}]}'],
    ids=["html", "choices-not-a-list", "content-not-text"],
)
@respx.mock
async def test_a_200_that_is_not_a_chat_completion_is_a_bad_output_error(engine, body):
    route = respx.post(URL).mock(
        return_value=httpx.Response(200, content=body, headers={"content-type": "application/json"})
    )
    with pytest.raises(UpstreamBadOutput, match="not a chat completion"):
        await engine.generate(SPEC, "delivery")
    assert route.call_count == 1


@respx.mock
async def test_extra_completion_fields_are_ignored_and_missing_usage_is_zero(engine):
    reply = completion(json.dumps(GOOD_REPLY))
    del reply["usage"]
    reply["system_fingerprint"] = "fp_1"
    reply["choices"][0]["logprobs"] = None
    respx.post(URL).mock(return_value=httpx.Response(200, json=reply))
    generation = await engine.generate(SPEC, "delivery")
    assert generation.drafts and generation.usage.calls == 1 and generation.usage.total_tokens == 0


@respx.mock
async def test_429_honours_retry_after_then_succeeds(engine):
    waits = []
    engine_wait = engine._wait
    engine._wait = lambda state: waits.append(engine_wait(state)) or 0.0  # record, don't sleep
    route = respx.post(URL).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}, json={"error": {"message": "slow down"}}), ok()]
    )
    generation = await engine.generate(SPEC, "delivery")
    assert route.call_count == 2 and waits == [7.0]
    assert generation.retries == 1


@respx.mock
async def test_500_500_200_succeeds_with_summed_usage(engine):
    error = httpx.Response(500, json={"error": {"message": "overloaded"}})
    route = respx.post(URL).mock(side_effect=[error, error, ok()])
    generation = await engine.generate(SPEC, "delivery")
    assert route.call_count == 3
    assert generation.usage.calls == 3 and generation.retries == 2
    # A generic 500 is a fault, not a format rejection: the format is kept.
    assert sent_formats(route) == ["json_schema"] * 3


@respx.mock
async def test_5xx_storm_ends_in_unavailable_after_the_attempt_limit(engine):
    route = respx.post(URL).mock(return_value=httpx.Response(503, json={"error": {"message": "down"}}))
    with pytest.raises(UpstreamUnavailable):
        await engine.generate(SPEC, "delivery")
    assert route.call_count == FAST.max_attempts


@respx.mock
async def test_rate_limit_that_outlasts_retries_reports_retry_after(engine):
    route = respx.post(URL).mock(
        return_value=httpx.Response(429, headers={"Retry-After": "0"}, json={"error": {"message": "slow"}})
    )
    with pytest.raises(UpstreamUnavailable) as caught:
        await engine.generate(SPEC, "delivery")
    assert route.call_count == FAST.max_attempts
    assert caught.value.retry_after == 0.0


@respx.mock
async def test_timeout_is_retried_then_reported_as_timeout(engine):
    route = respx.post(URL).mock(side_effect=httpx.ReadTimeout("slow model"))
    with pytest.raises(UpstreamTimeout):
        await engine.generate(SPEC, "delivery")
    assert route.call_count == FAST.max_attempts


@respx.mock
async def test_connection_error_is_unavailable(engine):
    respx.post(URL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(UpstreamUnavailable):
        await engine.generate(SPEC, "delivery")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
@respx.mock
async def test_client_errors_are_never_retried(engine, status):
    engine.format_index = 2  # plain text: nothing left to step down to
    route = respx.post(URL).mock(return_value=httpx.Response(status, json={"error": {"message": "no"}}))
    with pytest.raises(UpstreamRejected):
        await engine.generate(SPEC, "delivery")
    assert route.call_count == 1


@respx.mock
async def test_total_budget_stops_before_a_long_retry_after():
    client = build_client(api_key=None, base_url=BASE, timeout=5, transport="httpx")
    engine = OpenAIEngine(
        client=client,
        model="m",
        library=default_library(),
        retry=RetryPolicy(max_attempts=5, total_budget=2),
        profile="openai",
        model_check="off",
    )
    route = respx.post(URL).mock(
        return_value=httpx.Response(429, headers={"Retry-After": "20"}, json={"error": {"message": "x"}})
    )
    with pytest.raises(UpstreamUnavailable) as caught:
        await engine.generate(SPEC, "delivery")
    assert route.call_count == 1 and caught.value.retry_after == 20.0


@respx.mock
async def test_discovery_mission_uses_the_discovery_template(engine):
    route = respx.post(URL).mock(return_value=ok())
    generation = await engine.generate(RewriteSpec(request="Explore personalisation"), "discovery")
    assert generation.engine.prompt == "rewrite-discovery@1.1.0"
    assert "LEARN" in json.loads(route.calls[0].request.content)["messages"][0]["content"]


def test_extract_json_tolerates_prose_and_fences():
    assert json.loads(extract_json('Here:\n```json\n{"a": 1}\n```\nThanks')) == {"a": 1}
    assert json.loads(extract_json('noise {"a": {"b": 2}} trailing')) == {"a": {"b": 2}}


def test_retry_after_parses_seconds_dates_and_garbage():
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "3"})) == 3.0
    assert retry_after_seconds(httpx.Response(429, headers={"retry-after-ms": "1500"})) == 1.5
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after_seconds(httpx.Response(429)) is None


async def test_the_default_transport_is_the_sdks_aiohttp_client_and_unknown_ones_are_refused():
    import openai

    client = build_client(api_key=None, base_url=BASE, timeout=5, max_connections=7)
    try:
        assert isinstance(client._client, openai.DefaultAioHttpClient)
        assert client.max_retries == 0
    finally:
        await client.close()
    with pytest.raises(ValueError, match="unknown HTTP transport"):
        build_client(api_key=None, base_url=BASE, timeout=5, transport="carrier-pigeon")


def _chained(*errors: BaseException) -> BaseException:
    """errors[0] raised from errors[1] raised from …, as the SDK and its transport chain them."""
    for outer, inner in zip(errors, errors[1:]):
        outer.__cause__ = inner
    return errors[0]


def test_a_connection_the_server_closed_while_idle_is_retried_at_once_other_failures_back_off(engine):
    import aiohttp
    import httpx2
    import openai
    from tenacity import RetryCallState

    request = httpx2.Request("POST", URL)
    stale = _chained(
        openai.APITimeoutError(request=request),
        httpx2.ConnectTimeout("Server disconnected"),
        aiohttp.ServerDisconnectedError(),
    )
    slow = _chained(openai.APITimeoutError(request=request), httpx2.ReadTimeout("timed out"))
    engine.retry = RetryPolicy(initial_wait=1.0, max_wait=8.0)

    def first_wait(exc: BaseException, attempt: int = 1) -> float:
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
        state.attempt_number = attempt
        state.set_exception((type(exc), exc, None))
        return engine._wait(state)

    assert first_wait(stale) == 0.0
    # A second failure in a row is not a stale connection any more: back off as usual.
    waits = [first_wait(stale, attempt=2) for _ in range(20)] + [first_wait(slow) for _ in range(20)]
    assert max(waits) > 0.0 and all(0.0 <= w <= 8.0 for w in waits)


@respx.mock
@pytest.mark.parametrize(
    ("request_text", "language"),
    [
        ("Die Datenbank auf PostgreSQL 16 aktualisieren", "German"),
        ("Refonte du site de réservation des salles municipales", "French"),
        ("Upgrade Elasticsearch", "English"),
    ],
)
async def test_the_model_is_told_to_answer_in_the_language_of_the_request(engine, request_text, language):
    route = respx.post(URL).mock(return_value=ok())
    await engine.generate(RewriteSpec(request=request_text), "delivery")
    messages = json.loads(route.calls[0].request.content)["messages"]
    system = next(m["content"] for m in messages if m["role"] == "system")
    assert f"Write every part of every candidate in {language}, the language the request is written in." in system


# --- per-server profiles, the model check, usage on failure, timeouts, relevance (issue 13) ---

MODELS_URL = f"{BASE}/models"


def models_list(*ids: str, owned_by: str = "openai") -> httpx.Response:
    return httpx.Response(
        200, json={"object": "list", "data": [{"id": i, "object": "model", "owned_by": owned_by} for i in ids]}
    )


def probing_engine(**options) -> OpenAIEngine:
    client = build_client(api_key="sk-test-secret-key", base_url=BASE, timeout=5, transport="httpx")
    return OpenAIEngine(client=client, model="test-model", library=default_library(), retry=FAST, **options)


@pytest.mark.parametrize(
    ("profile", "first_form"),
    [
        ("openai", "json_schema+schema"),
        ("llamacpp", "json_object+schema"),
        ("vllm", "guided_json+schema"),
        ("ollama", "json_schema+schema+format"),
    ],
)
@respx.mock
async def test_each_server_profile_asks_for_the_schema_in_its_own_form(profile, first_form):
    route = respx.post(URL).mock(return_value=ok())
    engine = probing_engine(profile=profile, model_check="off")
    await engine.generate(SPEC, "delivery")
    assert sent_forms(route) == [first_form]
    assert engine.readiness()["model_profile"] == profile


@pytest.mark.parametrize(
    ("owned_by", "profile", "first_form"),
    [
        ("llamacpp", "llamacpp", "json_object+schema"),
        ("me", "llamacpp", "json_object+schema"),
        ("vllm", "vllm", "guided_json+schema"),
        ("library", "ollama", "json_schema+schema+format"),
        ("openai", "openai", "json_schema+schema"),
    ],
)
@respx.mock
async def test_auto_profile_is_probed_once_from_get_models(owned_by, profile, first_form):
    import asyncio

    models = respx.get(MODELS_URL).mock(return_value=models_list("test-model", owned_by=owned_by))
    route = respx.post(URL).mock(return_value=ok())
    engine = probing_engine()
    await asyncio.gather(*(engine.generate(SPEC, "delivery") for _ in range(5)))
    await engine.generate(SPEC, "delivery")
    assert models.call_count == 1  # five at once and one later: one probe
    assert engine.profile == profile
    assert set(sent_forms(route)) == {first_form}


@respx.mock
async def test_a_model_the_server_does_not_list_is_refused_naming_what_it_serves():
    respx.get(MODELS_URL).mock(return_value=models_list("smollm2", "qwen2"))
    route = respx.post(URL).mock(return_value=ok())
    engine = probing_engine()
    with pytest.raises(UpstreamRejected) as caught:
        await engine.generate(SPEC, "delivery")
    assert "'test-model'" in caught.value.message and "smollm2, qwen2" in caught.value.message
    assert route.call_count == 0  # a server that answers any name with its own model is never asked
    assert engine.readiness()["model"].startswith("not served")


@respx.mock
async def test_model_check_warn_logs_the_mismatch_and_goes_on_and_ollama_tags_match():
    respx.get(MODELS_URL).mock(return_value=models_list("llama3.1:latest", owned_by="library"))
    respx.post(URL).mock(return_value=ok())
    assert (await probing_engine(model_check="warn").generate(SPEC, "delivery")).drafts
    ollama = probing_engine()
    ollama.model = "llama3.1"
    assert (await ollama.generate(SPEC, "delivery")).drafts and ollama.readiness()["model"] == "served"


@respx.mock
async def test_a_server_without_get_models_is_not_checked_and_gets_the_openai_ladder():
    respx.get(MODELS_URL).mock(return_value=httpx.Response(404, json={"error": {"message": "not found"}}))
    route = respx.post(URL).mock(return_value=ok())
    engine = probing_engine()
    await engine.generate(SPEC, "delivery")
    assert sent_forms(route) == ["json_schema+schema"] and engine.readiness()["model"].startswith("unchecked")


@pytest.mark.parametrize("status", [401, 404])
@respx.mock
async def test_provider_refusals_say_what_the_provider_said(engine, status):
    engine.format_index = len(engine.ladder) - 1
    respx.post(URL).mock(
        return_value=httpx.Response(status, json={"error": {"message": f"The model `x` does not exist ({status})"}})
    )
    with pytest.raises(UpstreamRejected, match=f"HTTP {status}: The model `x` does not exist"):
        await engine.generate(SPEC, "delivery")


@respx.mock
async def test_usage_of_failed_calls_travels_with_the_error_and_into_a_fallback():
    from rewriter.pipeline import RewritePipeline

    respx.post(URL).mock(return_value=ok({"objectives": ["wrong shape"]}, tokens=10))
    engine = probing_engine(profile="openai", model_check="off")
    with pytest.raises(UpstreamBadOutput) as caught:
        await engine.generate(SPEC, "delivery")
    assert caught.value.usage.calls == 2 and caught.value.usage.total_tokens == 60
    records = []
    pipeline = RewritePipeline(engine, fallback_to_offline=True)
    pipeline.observers.append(records.append)
    result = await pipeline.rewrite(SPEC)
    assert result.engine.provider == "offline" and result.engine.fallback_reason
    assert (result.usage.calls, result.usage.prompt_tokens, result.usage.completion_tokens) == (2, 20, 40)
    assert (records[0].prompt_tokens, records[0].completion_tokens, records[0].error) == (20, 40, "UpstreamBadOutput")


LOCAL_BASE = "http://127.0.0.1:8089/v1"


@respx.mock
async def test_a_timeout_against_a_local_server_is_not_retried_into_its_queue_and_is_reported():
    route = respx.post(f"{LOCAL_BASE}/chat/completions").mock(side_effect=httpx.ReadTimeout("slow model"))
    client = build_client(api_key=None, base_url=LOCAL_BASE, timeout=5, transport="httpx")
    engine = OpenAIEngine(
        client=client, model="m", library=default_library(), retry=FAST, profile="llamacpp", model_check="off"
    )
    pushed_back: list[float | None] = []
    engine.rate_limit_listeners.append(pushed_back.append)
    assert engine.retry_timeouts is False
    with pytest.raises(UpstreamTimeout):
        await engine.generate(SPEC, "delivery")
    assert route.call_count == 1  # the abandoned generation still runs there: nothing queued behind it
    assert pushed_back == [None]  # the batch runner lowers its concurrency, as on a 429


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8080/v1", True),
        ("http://localhost:11434/v1", True),
        ("http://ollama:11434/v1", True),
        ("http://192.168.1.20:8000/v1", True),
        ("https://api.openai.com/v1", False),
        ("https://x.openai.azure.com/openai/v1/", False),
    ],
)
def test_which_servers_count_as_local(url, local):
    from rewriter.llm import is_local_server

    assert is_local_server(url) is local


COPIED_EXAMPLE = {
    "candidates": [
        {
            "objective": "Make search easier to support and more resilient",
            "problem_statement": "Elasticsearch is out of support and eats the team's time.",
            "hypothesis": "We believe upgrading Elasticsearch will cut toil.",
            "key_results": [
                {"text": "Search support hours fall from a baseline to be measured to a target to be agreed by June"},
                {"text": "Search availability stays at or above its current level"},
            ],
        },
        {
            "objective": "Make the dashboard comfortable to read at night",
            "problem_statement": "People who check the dashboard after dark find its bright screens tiring.",
            "hypothesis": "We believe a dark mode will keep evening users on the dashboard.",
            "key_results": [
                {
                    "text": "Share of evening dashboard sessions rises from a baseline to be measured to a target to "
                    "be agreed by June"
                },
                {
                    "text": "Complaints about dashboard eye strain fall from a baseline to be measured to a target to "
                    "be agreed by June"
                },
            ],
        },
    ]
}


@respx.mock
async def test_a_candidate_that_copies_the_prompts_worked_example_is_dropped_and_the_notice_says_why(engine):
    respx.post(URL).mock(return_value=ok(COPIED_EXAMPLE))
    generation = await engine.generate(RewriteSpec(request="Add dark mode to the dashboard", candidates=2), "delivery")
    assert [d.objective for d in generation.drafts] == ["Make the dashboard comfortable to read at night"]
    assert "Candidate 1 was dropped (copies_prompt_example)" in generation.notice
    assert "worked example" in generation.notice and "Add dark mode to the dashboard" in generation.notice


@respx.mock
async def test_the_same_candidate_is_kept_for_the_request_it_is_about(engine):
    respx.post(URL).mock(return_value=ok(COPIED_EXAMPLE))
    generation = await engine.generate(RewriteSpec(request="Upgrade Elasticsearch", candidates=2), "delivery")
    assert generation.drafts[0].objective == "Make search easier to support and more resilient"


@respx.mock
async def test_fewer_candidates_than_asked_come_with_a_notice(engine):
    respx.post(URL).mock(return_value=ok(GOOD_REPLY))
    generation = await engine.generate(RewriteSpec(request="Upgrade Elasticsearch", candidates=3), "delivery")
    assert len(generation.drafts) == 1 and generation.notice == "The model wrote 1 of the 3 candidates asked for."
