"""Issue 12: the engine's own gate, questions when it cannot tell, and a clear notice for
languages the offline engine does not write."""

from __future__ import annotations

import asyncio
import csv
import io
import time

from litestar.testing import TestClient

from api.app import create_app
from api.config import Settings
from rewriter.domain import CandidateDraft, EngineInfo, Generation, KeyResultDraft, RewriteSpec, Usage
from rewriter.offline import OfflineEngine
from rewriter.pipeline import RewritePipeline

OFFLINE = RewritePipeline(OfflineEngine())


def rewrite(request: str, context: str | None = None, **spec):
    return asyncio.run(OFFLINE.rewrite(RewriteSpec(request=request, context=context, **spec)))


class ScriptedEngine:
    """An engine that answers with the drafts it was given, as a model might."""

    provider = "openai"
    model = "scripted"

    def __init__(self, drafts: list[CandidateDraft]) -> None:
        self.drafts = drafts

    def cache_identity(self, mission: str) -> str:
        return "scripted"

    async def generate(self, spec: RewriteSpec, mission: str) -> Generation:
        return Generation(
            drafts=self.drafts, engine=EngineInfo(provider="openai", model="scripted", prompt="p"), usage=Usage(calls=1)
        )


def draft(objective: str) -> CandidateDraft:
    key_results = [
        KeyResultDraft(
            text="Increase the share of subscribers who open the weekly update from a baseline to be measured to a "
            "target to be agreed by the end of the quarter"
        ),
        KeyResultDraft(text="Keep unsubscribes at or below their current level (to be measured) through the quarter"),
    ]
    return CandidateDraft(objective=objective, problem_statement="p", hypothesis="h", key_results=key_results)


def test_a_candidate_the_evaluators_fail_never_leaves_and_the_notice_says_why():
    pasted = draft("Make the Send a weekly newsletter to users effortless for users")
    good = draft("Subscribers keep up with what changed without logging in")
    pipeline = RewritePipeline(ScriptedEngine([pasted, good]))
    result = asyncio.run(pipeline.rewrite(RewriteSpec(request="Send a weekly newsletter to users", candidates=2)))
    assert [c.objective for c in result.candidates] == [good.objective]
    assert [c.rank for c in result.candidates] == [1]
    assert result.notice is not None and "echoes_request" in result.notice


def test_when_every_candidate_fails_none_is_returned_and_the_engine_asks():
    pipeline = RewritePipeline(
        ScriptedEngine([draft("Make the Send a weekly newsletter to users effortless for users")])
    )
    result = asyncio.run(pipeline.rewrite(RewriteSpec(request="Send a weekly newsletter to users")))
    assert result.candidates == []
    assert result.notice is not None and "failed the evaluators" in result.notice
    assert any("weekly newsletter" in q for q in result.questions), result.questions


def test_the_offline_engine_never_pastes_an_output_request_into_its_frames():
    # Requests from the issue that came back pasted ("Make the Send a weekly newsletter …").
    for request in (
        "Send a weekly newsletter to users",
        "We need to rebuild the whole onboarding flow",
        "Migrate staff mailboxes from the on-prem Exchange 2016 server to Microsoft 365",
    ):
        result = rewrite(request)
        assert result.candidates, request
        for candidate in result.candidates:
            assert "echoes_request" not in {f.code for f in candidate.evaluation.objective.findings}
            assert request.lower()[:20] not in candidate.objective.lower()


def test_a_foreign_request_gets_a_notice_naming_its_language_not_an_english_frame():
    result = rewrite("Die Datenbank auf PostgreSQL 16 aktualisieren")
    assert result.candidates == []
    assert result.notice is not None and "German" in result.notice and "English only" in result.notice
    assert result.questions == []


def test_a_vague_ask_is_not_dressed_up_the_engine_asks_instead():
    result = rewrite("Improve things")
    assert result.candidates == []
    assert result.notice is not None
    assert len(result.questions) >= 2
    assert all(q.endswith("?") for q in result.questions)


def test_questions_name_the_requests_own_thing_and_stop_when_the_why_is_given():
    bare = rewrite("Upgrade Elasticsearch")
    assert any("Elasticsearch" in q for q in bare.questions), bare.questions
    told = rewrite(
        "Upgrade Elasticsearch for the support agents",
        context="It is out of support and eats our time; search outages cost 3 hours a week",
    )
    assert not any(q.startswith("Who relies on") for q in told.questions), told.questions
    assert not any(q.startswith("What goes wrong if") for q in told.questions), told.questions


def test_a_request_that_is_already_an_outcome_is_kept_and_measured():
    outcome = "Customers renew their subscriptions without needing to call support"
    result = rewrite(outcome)
    first = result.candidates[0]
    assert first.objective == outcome
    assert first.key_results[0].text.startswith("Increase share of customers who renew their subscriptions")


def test_a_bug_report_keeps_its_figure_and_is_not_pasted():
    result = rewrite("Reset emails arrive 20 minutes late")
    first = result.candidates[0]
    assert "arrive 20 minutes late" not in first.objective
    assert first.key_results[0].baseline == "20 minutes"


def test_a_batch_row_with_no_candidate_is_done_and_carries_the_notice_and_questions(tmp_path):
    settings = Settings(engine="offline", db_path=str(tmp_path / "r.db"), log_format="json", log_level="WARNING")
    lines = "Upgrade Elasticsearch\nImprove things\nDie Datenbank auf PostgreSQL 16 aktualisieren\n"
    with TestClient(app=create_app(settings)) as client:
        created = client.post("/v1/batches", files={"file": ("asks.txt", lines.encode())})
        assert created.status_code == 202, created.text
        batch_id = created.json()["id"]
        deadline = time.monotonic() + 10
        while client.get(f"/v1/batches/{batch_id}").json()["status"] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        table = client.get(f"/v1/batches/{batch_id}/results", headers={"Accept": "text/csv"})
        rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [row["status"] for row in rows] == ["done", "done", "done"]
    elastic, vague, german = rows
    assert elastic["objective"] and elastic["passed"] == "true"
    assert vague["objective"] == "" and vague["notice"] and vague["questions"].count("?") >= 2
    assert german["objective"] == "" and "German" in german["notice"]
