"""The HTTP contract, in-process, with the offline engine."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from api.app import create_app
from rewriter.domain import Generation, RewriteSpec
from rewriter.errors import UpstreamBadOutput, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable

DIGIT = re.compile(r"\d")


def test_upgrade_elasticsearch_becomes_ranked_outcomes_without_invented_numbers(client):
    response = client.post("/v1/rewrites", json={"request": "Upgrade Elasticsearch"})
    assert response.status_code == 200
    body = response.json()
    assert body["assessment"]["kind"] == "output"
    assert body["mission"] == "delivery"
    assert body["engine"] == {
        "provider": "offline",
        "model": "outcome-frames",
        "prompt": "offline-frames@2.0.0",
        "fallback_reason": None,
    }
    assert body["usage"]["calls"] == 0
    candidates = body["candidates"]
    assert len(candidates) == 3
    assert [c["rank"] for c in candidates] == [1, 2, 3]
    assert [c["score"] for c in candidates] == sorted((c["score"] for c in candidates), reverse=True)
    best = candidates[0]
    assert best["evaluation"]["objective"]["kind"] == "outcome"
    assert "search" in best["objective"].lower()
    for candidate in candidates:
        for kr in candidate["key_results"]:
            assert not DIGIT.search(kr["text"]), kr["text"]
            assert kr["baseline"] is None and kr["target"] is None
        codes = {f["code"] for kr in candidate["evaluation"]["key_results"] for f in kr["findings"]}
        assert "invented_baseline" not in codes


def test_counts_and_mission_are_honoured(client):
    body = client.post(
        "/v1/rewrites", json={"request": "Explore personalisation", "candidates": 2, "key_results": 4}
    ).json()
    assert body["mission"] == "discovery"
    assert len(body["candidates"]) == 2
    assert all(len(c["key_results"]) == 4 for c in body["candidates"])
    forced = client.post("/v1/rewrites", json={"request": "Explore personalisation", "mission": "delivery"}).json()
    assert forced["mission"] == "delivery"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"request": ""}, "request"),
        ({"request": "   \n "}, "request"),
        ({}, "request"),
        ({"request": "x" * 2001}, "request"),
        ({"request": "Upgrade", "candidates": 6}, "candidates"),
        ({"request": "Upgrade", "key_results": 1}, "key_results"),
        ({"request": "Upgrade", "mission": "sideways"}, "mission"),
        ({"request": "Upgrade", "context": "y" * 4001}, "context"),
        ({"request": "Upgrade", "surprise": True}, "surprise"),
        ({"request": 42}, "request"),
    ],
)
def test_bad_rewrite_input_is_problem_json_naming_the_field(client, payload, field):
    response = client.post("/v1/rewrites", json=payload)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422 and problem["title"] and problem["instance"] == "/v1/rewrites"
    assert field in {e["field"] for e in problem["errors"]}, problem
    assert field in problem["detail"]


def test_malformed_json_is_400_problem(client):
    response = client.post("/v1/rewrites", content=b'{"request": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_unknown_route_is_404_problem_with_request_id(client):
    response = client.get("/v1/nothing-here", headers={"X-Request-ID": "trace-123"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["x-request-id"] == "trace-123"


def test_request_id_is_generated_when_absent_or_unsafe(client):
    generated = client.get("/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    unsafe = client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"}).headers["x-request-id"]
    assert unsafe != "bad id\twith spaces"


def test_evaluations_endpoint_judges_objective_and_key_results(client):
    response = client.post(
        "/v1/evaluations",
        json={
            "objective": "Build a customer portal",
            "key_results": ["Run 4 webinars", "Checkout completion rises from 60% to 75% by June"],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["objective"]["kind"] == "output"
    assert body["passed"] is False
    verb = next(f for f in body["objective"]["findings"] if f["code"] == "output_verb")
    assert body["objective"]["text"][verb["span"][0] : verb["span"][1]].lower() == "build"
    assert body["key_results"][0]["kind"] == "output"
    assert body["key_results"][1]["kind"] == "outcome" and body["key_results"][1]["measurable"] is True
    assert 0 <= body["score"] <= 1


def test_evaluations_key_result_range_override(client):
    one = {
        "objective": "Patients book appointments without phoning the surgery",
        "key_results": ["Online bookings grow from 15% to 60% of all appointments by March"],
    }
    default = client.post("/v1/evaluations", json=one).json()
    assert "kr_count" in {f["code"] for f in default["findings"]}
    relaxed = client.post("/v1/evaluations", json={**one, "key_result_range": [1, 3]}).json()
    assert "kr_count" not in {f["code"] for f in relaxed["findings"]}
    inverted = client.post("/v1/evaluations", json={**one, "key_result_range": [4, 2]})
    assert inverted.status_code == 422 and inverted.json()["errors"][0]["field"] == "key_result_range"


def test_evaluations_rejects_too_many_key_results(client):
    response = client.post("/v1/evaluations", json={"objective": "Grow revenue", "key_results": ["x"] * 11})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "key_results"


def test_prompts_health_and_ready(client):
    prompts = client.get("/v1/prompts").json()
    assert {p["ref"] for p in prompts} == {"rewrite-delivery@1.1.0", "rewrite-discovery@1.1.0"}
    assert all(p["description"] for p in prompts)
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["status"] == "ready" and ready["engine"] == "offline"


def test_openapi_has_stable_operation_ids_and_docstrings(client):
    schema = client.get("/schema/openapi.json").json()
    operations = {(path, method): op for path, item in schema["paths"].items() for method, op in item.items()}
    ids = {op["operationId"] for op in operations.values()}
    assert {
        "createRewrite",
        "createEvaluation",
        "listPrompts",
        "getHealth",
        "getReadiness",
        "createFeedback",
        "getFeedbackSummary",
    } <= ids
    assert all(op.get("description") for op in operations.values())


def test_feedback_is_stored_and_summarised(client, settings):
    for verdict in ["false_positive", "false_positive", "correct"]:
        stored = client.post(
            "/v1/feedback",
            json={"code": "output_verb", "text": "Deliver 300 leads a month", "span": [0, 7], "verdict": verdict},
        )
        assert stored.status_code == 201
    client.post("/v1/feedback", json={"code": "kr_activity", "text": "Run 4 webinars", "verdict": "correct"})
    summary = client.get("/v1/feedback/summary").json()
    assert summary["total"] == 4
    assert summary["rules"][0] == {
        "code": "output_verb",
        "false_positive": 2,
        "correct": 1,
        "total": 3,
        "false_positive_rate": 0.667,
    }
    # It is a real file: a fresh app on the same path sees the same verdicts.
    with TestClient(app=create_app(settings)) as again:
        assert again.get("/v1/feedback/summary").json()["total"] == 4


def test_feedback_rejects_unknown_codes_and_bad_spans(client):
    unknown = client.post("/v1/feedback", json={"code": "no_such_rule", "text": "x", "verdict": "correct"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "code"
    bad_span = client.post(
        "/v1/feedback", json={"code": "output_verb", "text": "abc", "span": [2, 9], "verdict": "correct"}
    )
    assert bad_span.status_code == 422


class FailingEngine:
    provider = "openai"
    model = "broken-model"

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def generate(self, spec: RewriteSpec, mission: str) -> Generation:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (UpstreamUnavailable("rate limited", attempts=4, retry_after=12.2), 503),
        (UpstreamUnavailable("down", attempts=4), 503),
        (UpstreamTimeout("slow", attempts=4), 504),
        (UpstreamBadOutput("garbage", attempts=2), 502),
        (UpstreamRejected("bad key", attempts=1), 502),
    ],
)
def test_model_failures_map_to_gateway_errors(settings, error, status):
    with TestClient(app=create_app(settings, engine=FailingEngine(error))) as client:
        response = client.post("/v1/rewrites", json={"request": "Upgrade Elasticsearch"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    if status == 503:
        assert response.headers["retry-after"] == ("13" if error.retry_after else "30")


def test_fallback_to_offline_is_a_setting_and_is_reported(settings):
    settings.fallback = "offline"
    with TestClient(app=create_app(settings, engine=FailingEngine(UpstreamTimeout("slow", attempts=3)))) as client:
        body = client.post("/v1/rewrites", json={"request": "Upgrade Elasticsearch"}).json()
    assert body["engine"]["provider"] == "offline"
    assert body["engine"]["fallback_reason"] == "slow"
    assert body["usage"]["calls"] == 3
    assert body["candidates"]
