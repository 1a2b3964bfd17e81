"""Storage faults (issue 14, findings 4 and 5): exports never end quietly short, and a database
that cannot be written is reported (/ready, 503/507) and waited out, never a generic 500 or a
failed batch."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from litestar.testing import TestClient
from structlog.testing import capture_logs

import api.controllers.health as health
from api.app import create_app
from api.config import Settings
from rewriter.batch.store import BatchStore
from rewriter.database import Database
from rewriter.errors import StorageUnavailable
from rewriter.storage_faults import storage_fault
from tests.support.batches import wait_until_ended

BACKLOG = {"items": [{"id": f"OPS-{n}", "request": f"Upgrade the reporting service number {n}"} for n in range(1, 7)]}


def _app(tmp_path: Path, **overrides):
    return create_app(Settings(engine="offline", db_path=str(tmp_path / "r.db"), log_format="json", **overrides))


class FailingWrites:
    """Makes a database's writes fail as a full disk or a read-only file would, while ``failing``.

    Raised where the driver would raise it: just before a statement reaches the cursor."""

    def __init__(self, database: Database, error: str) -> None:
        self.error = error
        self.failing = True
        self.refused = 0
        sa.event.listen(database.engine, "before_cursor_execute", self._refuse)

    def _refuse(self, connection, cursor, statement: str, *args) -> None:
        if self.failing and statement.lstrip().upper().startswith(("BEGIN", "INSERT", "UPDATE", "DELETE")):
            self.refused += 1
            raise sqlite3.OperationalError(self.error)


# --- 4. an export never ends quietly short -------------------------------------------------------


def test_an_unreadable_result_is_a_row_that_says_so_and_is_logged(tmp_path):
    with TestClient(app=_app(tmp_path)) as client:
        batch = client.post("/v1/batches", json=BACKLOG).json()
        assert wait_until_ended(client, batch["id"])["done"] == 6
        with sqlite3.connect(tmp_path / "r.db") as db:
            db.execute("UPDATE batch_items SET result = X'7B6E6F74206A736F6E' WHERE item_id = 'OPS-3'")
        with capture_logs() as logs:
            rows = client.get(f"/v1/batches/{batch['id']}/results").text.splitlines()
            csv_text = client.get(f"/v1/batches/{batch['id']}/results", headers={"accept": "text/csv"}).text
    assert len(rows) == 6
    broken = [row for row in rows if '"OPS-3"' in row]
    assert '"status":"unreadable"' in broken[0] and "cannot be read" in broken[0]
    assert sum('"status":"done"' in row for row in rows) == 5
    assert "OPS-3,unreadable," in csv_text and csv_text.count("\n") >= 7
    assert any(entry["event"] == "result_unreadable" and entry["item"] == "OPS-3" for entry in logs)


def test_an_export_the_database_cuts_short_is_an_aborted_transfer(tmp_path, monkeypatch):
    app = _app(tmp_path)
    with TestClient(app=app) as client:
        batch = client.post("/v1/batches", json=BACKLOG).json()
        wait_until_ended(client, batch["id"])
    real_rows = BatchStore.rows

    def rows_then_io_error(self, seq, *, page=500):
        pages = real_rows(self, seq, page=2)
        yield next(pages)
        raise StorageUnavailable("the database cannot be written (disk I/O error)", full=False)

    monkeypatch.setattr(BatchStore, "rows", rows_then_io_error)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(_app(tmp_path), host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        # A client reading the export sees a broken transfer, never a clean short one.
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"http://127.0.0.1:{port}/v1/batches/{batch['id']}/results", timeout=10)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- 5. a database that cannot be written ------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "status", "kind"),
    [
        ("database or disk is full", 507, "storage-full"),
        ("attempt to write a readonly database", 503, "storage-unavailable"),
    ],
)
def test_writes_that_cannot_be_stored_are_503_or_507_and_ready_says_so(tmp_path, monkeypatch, message, status, kind):
    monkeypatch.setattr(health, "RECENT_STORAGE_FAULT_SECONDS", 0.2)
    with TestClient(app=_app(tmp_path)) as client:
        services = client.app.state.services
        batches = FailingWrites(services.batch_store.database, message)
        feedback = FailingWrites(services.feedback.database, message)
        for response in (
            client.post("/v1/batches", json=BACKLOG),
            client.post("/v1/feedback", json={"code": "output_verb", "text": "Build a portal", "verdict": "correct"}),
        ):
            assert response.status_code == status, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["type"].endswith(kind) and int(response.headers["retry-after"]) > 0
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        assert "database" in ready.json()["checks"] and ready.json()["checks"]["database"] != "ok"
        batches.failing = feedback.failing = False
        time.sleep(0.25)
        assert client.get("/ready").json()["checks"]["database"] == "ok"
        assert client.post("/v1/batches", json=BACKLOG).status_code == 202


def test_a_batch_interrupted_by_storage_resumes_when_it_returns_with_nothing_lost(tmp_path, monkeypatch):
    import rewriter.batch.runner as runner

    monkeypatch.setattr(runner, "STORAGE_PAUSE_SECONDS", 0.2)
    with TestClient(app=_app(tmp_path)) as client:
        store = client.app.state.services.batch_store
        batch = client.post("/v1/batches", json=BACKLOG).json()
        writes = FailingWrites(store.database, "database or disk is full")
        deadline = time.monotonic() + 10
        while writes.refused < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert writes.refused >= 3  # the runner met the full disk
        # Meanwhile nothing is recorded as failed: the batch waits.
        waiting = client.get(f"/v1/batches/{batch['id']}")
        assert (
            waiting.status_code == 200
            and waiting.json()["status"] in ("queued", "running")
            and waiting.json()["failed"] == 0
        )
        writes.failing = False
        ended = wait_until_ended(client, batch["id"])
    assert (ended["status"], ended["done"], ended["failed"]) == ("done", 6, 0)
    with sqlite3.connect(tmp_path / "r.db") as db:
        items = db.execute("SELECT item_id, status, result IS NOT NULL FROM batch_items ORDER BY position").fetchall()
    assert items == [(f"OPS-{n}", "done", 1) for n in range(1, 7)]


def test_storage_faults_are_told_from_other_database_errors():
    assert storage_fault(sqlite3.OperationalError("database or disk is full")).full
    assert not storage_fault(sqlite3.OperationalError("attempt to write a readonly database")).full
    assert storage_fault(sqlite3.OperationalError("disk I/O error")) is not None
    assert storage_fault(sqlite3.IntegrityError("UNIQUE constraint failed: batches.id")) is None
    assert storage_fault(sqlite3.OperationalError("no such table: batches")) is None
    assert storage_fault(ValueError("database or disk is full")) is None


# --- a real full disk, where this machine lets us mount one -------------------------------------


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN): {exc}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


def test_a_really_full_disk_is_507_and_ready_recovers_when_space_returns(tiny_disk, monkeypatch):
    monkeypatch.setattr(health, "RECENT_STORAGE_FAULT_SECONDS", 0.2)
    app = create_app(Settings(engine="offline", db_path=str(tiny_disk / "r.db"), log_format="json"))
    with TestClient(app=app) as client:
        assert client.get("/ready").status_code == 200
        filler = _fill(tiny_disk)
        big = {"items": [{"request": f"Upgrade the reporting service number {n} " + "x" * 1500} for n in range(400)]}
        refused = client.post("/v1/batches", json=big)
        assert refused.status_code == 507, refused.text
        assert client.get("/ready").status_code == 503
        os.unlink(filler)
        time.sleep(0.25)
        assert client.get("/ready").status_code == 200
        assert client.post("/v1/batches", json=BACKLOG).status_code == 202
