"""Tenancy (issue 14, finding 3): batches and idempotency keys belong to the key that made them.

Each test reproduces what the attack found: any key could list, read, retry and cancel every
other key's batches; an Idempotency-Key was shared across keys; failed authentication was
never limited.
"""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.config import Settings
from api.security import FailedAuthLimit

ALICE, BOB, ADMIN = "rk-alice-000000000001", "rk-bob-0000000000002", "rk-admin-00000000003"
BACKLOG = {"items": [{"request": "Upgrade Elasticsearch"}, {"request": "Add SSO for enterprise customers"}]}


def as_key(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def client(tmp_path):
    settings = Settings(
        engine="offline",
        db_path=str(tmp_path / "r.db"),
        log_format="json",
        api_keys=f"{ALICE},{BOB}",
        admin_api_keys=ADMIN,
    )
    with TestClient(app=create_app(settings)) as test_client:
        yield test_client


def _submit(client, key: str, **headers: str) -> dict:
    response = client.post("/v1/batches", json=BACKLOG, headers={**as_key(key), **headers})
    assert response.status_code == 202, response.text
    return response.json()


def test_another_keys_batch_is_not_found_by_any_route(client):
    batch = _submit(client, ALICE)
    path = f"/v1/batches/{batch['id']}"
    missing = client.get("/v1/batches/bat_0000000000000000", headers=as_key(BOB))
    for method, url in [("GET", path), ("GET", f"{path}/results"), ("POST", f"{path}/retry"), ("DELETE", path)]:
        response = client.request(method, url, headers=as_key(BOB))
        assert response.status_code == 404, (method, url, response.text)
        # The same answer as for a batch that does not exist: nothing says it does.
        assert response.json()["type"] == missing.json()["type"] and response.json()["title"] == missing.json()["title"]
    assert client.get(path, headers=as_key(ALICE)).status_code == 200
    assert client.get(path, headers=as_key(ALICE)).json()["status"] != "cancelled"


def test_each_key_lists_only_its_own_batches_and_an_admin_lists_all(client):
    alices, bobs = _submit(client, ALICE)["id"], _submit(client, BOB)["id"]
    listed = {
        key: [b["id"] for b in client.get("/v1/batches", headers=as_key(key)).json()["batches"]]
        for key in (ALICE, BOB, ADMIN)
    }
    assert listed[ALICE] == [alices]
    assert listed[BOB] == [bobs]
    assert set(listed[ADMIN]) == {alices, bobs}


def test_an_admin_reads_retries_and_cancels_any_batch(client):
    batch = _submit(client, ALICE)
    path = f"/v1/batches/{batch['id']}"
    assert client.get(path, headers=as_key(ADMIN)).status_code == 200
    assert client.get(f"{path}/results", headers=as_key(ADMIN)).status_code == 200
    cancelled = client.delete(path, headers=as_key(ADMIN))
    assert cancelled.status_code in (200, 409)  # 409: it had already finished


def test_idempotency_keys_are_scoped_to_their_key(client):
    first = _submit(client, ALICE, **{"Idempotency-Key": "backlog-2026-12"})
    again = _submit(client, ALICE, **{"Idempotency-Key": "backlog-2026-12"})
    assert again["id"] == first["id"]
    # Bob reusing Alice's value gets a batch of his own: not hers, and no 422 saying it exists.
    bobs = _submit(client, BOB, **{"Idempotency-Key": "backlog-2026-12"})
    assert bobs["id"] != first["id"]
    different = client.post(
        "/v1/batches",
        json={"items": [{"request": "Something else entirely"}]},
        headers={**as_key(BOB), "Idempotency-Key": "backlog-2026-12"},
    )
    assert different.status_code == 422  # his own key, reused with other content
    assert "different submission" in different.json()["detail"]


def test_failed_authentication_is_limited_per_address(tmp_path):
    settings = Settings(engine="offline", db_path=str(tmp_path / "r.db"), api_keys=ALICE, failed_auth_limit="3/minute")
    with TestClient(app=create_app(settings)) as client:
        for _ in range(3):
            assert client.get("/v1/batches", headers=as_key("guess")).status_code == 401
        refused = client.get("/v1/batches", headers=as_key("guess"))
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Even the right key waits: the address is guessing.
        assert client.get("/v1/batches", headers=as_key(ALICE)).status_code == 429
        assert client.get("/health").status_code == 200  # open routes are never limited


def test_the_failed_auth_window_is_per_address_bounded_and_ends():
    now = [0.0]
    limit = FailedAuthLimit(2, 60.0, max_addresses=3, clock=lambda: now[0])
    limit.record_failure("10.0.0.1")
    assert limit.retry_after("10.0.0.1") == 0  # one failure: not limited yet
    limit.record_failure("10.0.0.1")
    assert limit.retry_after("10.0.0.1") == 60.0
    assert limit.retry_after("10.0.0.2") == 0  # another address is not affected
    for address in ("a", "b", "c"):
        limit.record_failure(address)
    assert limit.retry_after("10.0.0.1") == 0  # evicted: memory stays bounded
    limit.record_failure("d")
    limit.record_failure("d")
    now[0] = 61.0
    assert limit.retry_after("d") == 0  # the window ended


def test_successes_do_not_count_as_failures(tmp_path):
    settings = Settings(engine="offline", db_path=str(tmp_path / "r.db"), api_keys=ALICE, failed_auth_limit="2/minute")
    with TestClient(app=create_app(settings)) as client:
        for _ in range(5):
            assert client.get("/v1/batches", headers=as_key(ALICE)).status_code == 200


def test_with_keys_off_everyone_is_one_caller_as_before(tmp_path):
    with TestClient(app=create_app(Settings(engine="offline", db_path=str(tmp_path / "r.db")))) as client:
        batch = client.post("/v1/batches", json=BACKLOG, headers={"Idempotency-Key": "k"}).json()
        assert client.get(f"/v1/batches/{batch['id']}").status_code == 200
        assert client.post("/v1/batches", json=BACKLOG, headers={"Idempotency-Key": "k"}).json()["id"] == batch["id"]
        assert [b["id"] for b in client.get("/v1/batches").json()["batches"]] == [batch["id"]]
