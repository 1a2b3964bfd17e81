"""The /v1/batches API in-process: submit in every format, follow, stream results, retry, cancel."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from litestar.testing import TestClient
from support.batch_engines import ScriptedEngine

from api.app import create_app
from api.config import Settings
from rewriter.batch.export import COLUMNS
from rewriter.errors import UpstreamBadOutput
from tests.support.batches import wait_until_ended

FIXTURES = Path(__file__).parent / "fixtures"
ITEMS = [
    {"id": "OPS-1", "request": "Upgrade Elasticsearch", "context": "It is out of support and eats our time"},
    {"id": 2, "request": "As a caseworker, I want to see all open cases on one page, so that I can decide on the day"},
    {"request": "Upgrade Elasticsearch", "context": "It is out of support and eats our time"},
]


def make_client(tmp_path, engine=None, **overrides) -> TestClient:
    settings = Settings(
        engine="offline", db_path=str(tmp_path / "r.db"), log_format="json", log_level="WARNING", **overrides
    )
    return TestClient(app=create_app(settings, engine=engine))


def ndjson(client: TestClient, batch_id: str) -> list[dict]:
    response = client.get(f"/v1/batches/{batch_id}/results")
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def test_a_json_batch_runs_in_the_background_and_streams_one_row_per_item(tmp_path):
    with make_client(tmp_path) as client:
        created = client.post("/v1/batches", json={"items": ITEMS, "options": {"candidates": 2}})
        assert created.status_code == 202, created.text
        body = created.json()
        assert (body["status"], body["total"], created.headers["location"]) == ("queued", 3, body["links"]["self"])
        batch = wait_until_ended(client, body["id"])
        assert {k: batch[k] for k in ("status", "total", "done", "failed", "cached", "pending", "progress")} == {
            "status": "done", "total": 3, "done": 3, "failed": 0, "cached": 1, "pending": 0, "progress": 1.0,
        }  # fmt: skip

        rows = ndjson(client, body["id"])
        assert [row["id"] for row in rows] == ["OPS-1", "2", "3"]
        assert list(rows[0]) == list(COLUMNS)
        first = rows[0]
        assert first["status"] == "done" and first["assessment_kind"] == "output"
        assert first["objective"] and len(first["key_results"]) == 3 and isinstance(first["passed"], bool)
        assert rows[2]["objective"] == first["objective"]  # the identical item, from the cache

        as_csv = client.get(f"/v1/batches/{body['id']}/results", headers={"Accept": "text/csv"})
        assert as_csv.headers["content-type"].startswith("text/csv")
        table = list(csv.DictReader(io.StringIO(as_csv.text)))
        assert [row["id"] for row in table] == ["OPS-1", "2", "3"]
        assert table[0]["objective"] == first["objective"] and table[0]["key_results"].count("\n") == 2

        listed = client.get("/v1/batches").json()
        assert [b["id"] for b in listed["batches"]] == [body["id"]] and listed["next"] is None


def test_backlog_files_upload_as_multipart_or_as_the_body(tmp_path):
    jira_csv = (
        "Summary,Issue key,Description\nUpgrade Elasticsearch,OPS-7,It is out of support\nBuild a chatbot,OPS-8,\n"
    )
    issues = json.dumps([{"number": 12, "title": "Search is slow", "body": "People give up"}])
    with make_client(tmp_path) as client:
        stories = client.post(
            "/v1/batches?mission=delivery",
            files={"file": ("stories.txt", (FIXTURES / "user_stories.txt").read_bytes())},
        )
        jira = client.post("/v1/batches", content=jira_csv, headers={"Content-Type": "text/csv"})
        github = client.post("/v1/batches", content=issues, headers={"Content-Type": "application/json"})
        for response in (stories, jira, github):
            assert response.status_code == 202, response.text
        assert (stories.json()["total"], stories.json()["source"], stories.json()["options"]["mission"]) == (
            20,
            "stories.txt",
            "delivery",
        )
        for response in (stories, jira, github):
            assert wait_until_ended(client, response.json()["id"])["done"] == response.json()["total"]
        assert [row["id"] for row in ndjson(client, jira.json()["id"])] == ["OPS-7", "OPS-8"]
        assert ndjson(client, github.json()["id"])[0]["request"] == "Search is slow"


@pytest.mark.parametrize(
    ("request_kwargs", "status", "field"),
    [
        ({"files": {"file": ("backlog.xlsx", b"PK\x03\x04\x14\x00")}}, 415, "file"),
        ({"content": "Upgrade Elasticsearch", "headers": {"Content-Type": "application/pdf"}}, 415, "content-type"),
        ({"content": "title\nfine\n" + "x" * 2001 + "\n", "headers": {"Content-Type": "text/csv"}}, 422, "row 3"),
        ({"content": "Name,Owner\nSearch,Ops\n", "headers": {"Content-Type": "text/csv"}}, 422, "header"),
        ({"content": "", "headers": {"Content-Type": "text/plain"}}, 422, "items"),
        ({"content": "a\nb\nc\nd\n", "headers": {"Content-Type": "text/plain"}}, 413, "items"),
        ({"json": {"items": [{"request": "x" * 2001}]}}, 422, "items[0].request"),
        ({"json": {"items": []}}, 422, "items"),
        ({"json": {"items": ITEMS}, "params": {"candidates": 2}}, 422, "options"),
        ({"files": {"other": ("b.txt", b"Upgrade Elasticsearch")}}, 422, "file"),
    ],
)
def test_unreadable_submissions_are_problems_that_say_what_and_where(tmp_path, request_kwargs, status, field):
    with make_client(tmp_path, batch_max_items=3) as client:
        response = client.post("/v1/batches", **request_kwargs)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [error["field"] for error in response.json()["errors"]] == [field]
        assert client.get("/v1/batches").json()["batches"] == []  # nothing half-stored


def test_malformed_json_is_a_bad_request(tmp_path):
    with make_client(tmp_path) as client:
        response = client.post("/v1/batches", content=b'{"items": [', headers={"Content-Type": "application/json"})
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/problem+json")


def test_an_idempotency_key_makes_a_retried_submission_return_the_same_batch(tmp_path):
    with make_client(tmp_path) as client:
        headers = {"Idempotency-Key": "import-2024-06-01"}
        first = client.post("/v1/batches", json={"items": ITEMS}, headers=headers)
        again = client.post("/v1/batches", json={"items": ITEMS}, headers=headers)
        assert (first.status_code, again.status_code) == (202, 202)
        assert again.json()["id"] == first.json()["id"]
        assert len(client.get("/v1/batches").json()["batches"]) == 1
        different = client.post("/v1/batches", json={"items": ITEMS[:1]}, headers=headers)
        assert different.status_code == 422
        assert different.json()["errors"][0]["field"] == "Idempotency-Key"


def test_failed_items_are_reported_and_a_retry_runs_only_them(tmp_path):
    engine = ScriptedEngine()
    engine.fail("Upgrade Elasticsearch", UpstreamBadOutput("the model's reply was unusable twice"))
    with make_client(tmp_path, engine=engine) as client:
        batch_id = client.post("/v1/batches", json={"items": ITEMS[:2]}).json()["id"]
        batch = wait_until_ended(client, batch_id)
        assert (batch["status"], batch["done"], batch["failed"]) == ("done", 1, 1)
        failed = ndjson(client, batch_id)[0]
        assert (failed["status"], failed["error"], failed["objective"]) == (
            "failed",
            "the model's reply was unusable twice",
            None,
        )

        retried = client.post(f"/v1/batches/{batch_id}/retry")
        assert retried.status_code == 202 and retried.json()["status"] == "queued"
        batch = wait_until_ended(client, batch_id)
        assert (batch["done"], batch["failed"]) == (2, 0)
        assert engine.calls[ITEMS[1]["request"]] == 1
        nothing_left = client.post(f"/v1/batches/{batch_id}/retry")
        assert nothing_left.status_code == 409 and nothing_left.headers["content-type"].startswith(
            "application/problem+json"
        )


def test_cancel_stops_a_running_batch_and_retry_resumes_it(tmp_path):
    engine = ScriptedEngine(held=True)
    with make_client(tmp_path, engine=engine, batch_concurrency=2) as client:
        batch_id = client.post("/v1/batches", json={"items": [{"request": f"Item {n}"} for n in range(5)]}).json()["id"]
        while engine.in_flight < 2:
            time.sleep(0.005)
        assert client.post(f"/v1/batches/{batch_id}/retry").status_code == 409  # still running
        cancelled = client.delete(f"/v1/batches/{batch_id}")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert client.delete(f"/v1/batches/{batch_id}").json()["status"] == "cancelled"  # cancelling twice is harmless
        engine.release()
        assert client.post(f"/v1/batches/{batch_id}/retry").status_code == 202
        assert wait_until_ended(client, batch_id)["done"] == 5
        assert client.delete(f"/v1/batches/{batch_id}").status_code == 409  # it has ended


def test_unknown_batches_are_404_problems_on_every_route(tmp_path):
    with make_client(tmp_path) as client:
        for method, path in [("GET", ""), ("GET", "/results"), ("POST", "/retry"), ("DELETE", "")]:
            response = client.request(method, f"/v1/batches/bat_missing{path}")
            assert response.status_code == 404, (method, path)
            assert response.headers["content-type"].startswith("application/problem+json")


def test_listing_pages_newest_first_and_filters(tmp_path):
    with make_client(tmp_path) as client:
        ids = [client.post("/v1/batches", json={"items": [{"request": f"Item {n}"}]}).json()["id"] for n in range(3)]
        for batch_id in ids:
            wait_until_ended(client, batch_id)
        first = client.get("/v1/batches", params={"limit": 2}).json()
        assert [b["id"] for b in first["batches"]] == ids[:0:-1]
        second = client.get(first["next"]).json()
        assert [b["id"] for b in second["batches"]] == ids[:1] and second["next"] is None
        digest = first["batches"][0]["input_digest"]
        assert [b["id"] for b in client.get("/v1/batches", params={"input_digest": digest}).json()["batches"]] == [
            ids[2]
        ]
        assert client.get("/v1/batches", params={"status": "queued"}).json()["batches"] == []


def test_every_batch_route_has_a_stable_operation_id_and_a_description(tmp_path):
    with make_client(tmp_path) as client:
        paths = client.get("/schema/openapi.json").json()["paths"]
    operations = {
        op["operationId"]: op for path, item in paths.items() if path.startswith("/v1/batches") for op in item.values()
    }
    assert set(operations) == {"createBatch", "listBatches", "getBatch", "getBatchResults", "retryBatch", "cancelBatch"}
    assert all(op.get("description") for op in operations.values())
    accepted = operations["createBatch"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data", "text/csv", "text/plain"} <= set(accepted)
    assert set(operations["getBatchResults"]["responses"]["200"]["content"]) == {"application/x-ndjson", "text/csv"}
