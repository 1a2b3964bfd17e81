"""The schema's versions (rewriter/migrations): every earlier SQLite file upgrades in place with
nothing lost, a new PostgreSQL database gets the newest schema, and opening twice changes nothing."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from rewriter.batch.errors import BatchNotFound
from rewriter.batch.model import BacklogItem, BatchOptions
from rewriter.batch.store import BatchStore
from rewriter.database import Database, engine_url
from rewriter.feedback import FeedbackStore
from rewriter.migrations import HEAD, current, head

# The tables as realise wrote them before Alembic: user_version 0 and 1 had no owners, no
# write probe; 2 added owners (per-owner Idempotency-Keys) and the probe. Feedback lived in
# the same file, made by the feedback store itself.
_V0_BATCHES = """
CREATE TABLE batches (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
  source TEXT NOT NULL, input_digest TEXT NOT NULL, idempotency_key TEXT UNIQUE, options TEXT NOT NULL,
  total INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
  cached INTEGER NOT NULL DEFAULT 0, tokens INTEGER NOT NULL DEFAULT 0, tokens_at_run_start INTEGER NOT NULL DEFAULT 0,
  completed_at_run_start INTEGER NOT NULL DEFAULT 0, error TEXT, created_at REAL NOT NULL, run_started_at REAL,
  finished_at REAL);
"""
_V2_BATCHES = _V0_BATCHES.replace(
    "idempotency_key TEXT UNIQUE", "owner TEXT NOT NULL DEFAULT '', idempotency_key TEXT"
) + (
    "CREATE UNIQUE INDEX batches_by_idempotency_key ON batches (owner, idempotency_key);\n"
    "CREATE TABLE write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at REAL NOT NULL);\n"
)
_REST = """
CREATE TABLE batch_items (batch_seq INTEGER NOT NULL REFERENCES batches (seq), position INTEGER NOT NULL,
  item_id TEXT NOT NULL, request TEXT NOT NULL, context TEXT, status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0, cached INTEGER NOT NULL DEFAULT 0, result BLOB, error TEXT,
  PRIMARY KEY (batch_seq, position)) WITHOUT ROWID;
CREATE TABLE batch_results (cache_key TEXT PRIMARY KEY, generation BLOB NOT NULL, tokens INTEGER NOT NULL,
  created_at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, code TEXT NOT NULL,
  text TEXT NOT NULL, span_start INTEGER, span_end INTEGER,
  verdict TEXT NOT NULL CHECK (verdict IN ('false_positive', 'correct')), note TEXT);
INSERT INTO batches (id, status, source, input_digest, idempotency_key, options, total, done, failed, created_at)
  VALUES ('bat_00000000000000aa', 'done', 'json', 'abc', 'old-key',
          '{"mission":"auto","candidates":3,"key_results":3}', 2, 1, 1, 1.0);
INSERT INTO batch_items VALUES (1, 0, '1', 'Upgrade Elasticsearch', NULL, 'done', 1, 0, X'7B7D', NULL);
INSERT INTO batch_items VALUES (1, 1, '2', 'Migrate the CI', 'it is slow', 'failed', 3, 0, NULL, 'model timed out');
INSERT INTO batch_results VALUES ('key', X'5B5D', 10, 1.0);
INSERT INTO feedback (created_at, code, text, verdict) VALUES (1.0, 'output_verb', 'Build a portal', 'false_positive');
"""


@pytest.mark.parametrize(("version", "schema"), [(0, _V0_BATCHES), (1, _V0_BATCHES), (2, _V2_BATCHES)])
def test_a_file_from_before_alembic_is_upgraded_with_nothing_lost(tmp_path, version, schema):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.executescript(schema + _REST + f"PRAGMA user_version = {version};")
    database = Database.open(path)
    store, feedback = BatchStore(database), FeedbackStore(database)
    batch = store.get("bat_00000000000000aa")
    assert (batch.status, batch.total, batch.done, batch.failed) == ("done", 2, 1, 1)
    rows = [row for page in store.rows(batch.seq) for row in page]
    assert [(r.request, r.status, r.result, r.error) for r in rows] == [
        ("Upgrade Elasticsearch", "done", b"{}", None),
        ("Migrate the CI", "failed", None, "model timed out"),
    ]
    assert store.cached_generation("key") == b"[]"
    assert feedback.summary() == [("output_verb", 1, 0)]
    # Old batches belong to the anonymous owner; keys are per owner from now on.
    assert store.by_idempotency_key("old-key", owner="") is not None
    assert store.by_idempotency_key("old-key", owner="someone") is None
    # What the upgraded file can do that the old one could not: a retry, a new batch, a probe.
    assert store.requeue(batch.id).status == "queued"
    store.create(
        [BacklogItem("1", "Add SSO")],
        options=BatchOptions(),
        source="t",
        input_digest="d",
        idempotency_key="old-key",
        owner="someone",
    )
    store.probe_write()
    with database.reader() as connection:
        assert current(connection) == head()
    database.close()
    again = Database.open(path)  # opening an upgraded file again changes nothing
    assert BatchStore(again).get("bat_00000000000000aa").total == 2
    again.close()


def test_a_new_file_and_a_new_postgresql_database_get_the_same_tables(tmp_path, postgres_url):
    tables = {}
    for name, target in (("sqlite", tmp_path / "new.db"), ("postgresql", postgres_url)):
        database = Database.open(target)
        with database.reader() as connection:
            assert current(connection) == head()
            inspector = sa.inspect(connection)
            tables[name] = {
                table: sorted(column["name"] for column in inspector.get_columns(table))
                for table in ("batches", "batch_items", "batch_results", "write_probe", "feedback")
            }
        database.close()
    assert tables["sqlite"] == tables["postgresql"]


def test_the_stores_work_the_same_on_postgresql(postgres_url):
    store = BatchStore(postgres_url)
    batch = store.create(
        [BacklogItem("1", "Upgrade Elasticsearch", "out of support"), BacklogItem("2", "Add SSO")],
        options=BatchOptions(candidates=2), source="t", input_digest="d", idempotency_key="k", owner="alice",
    )  # fmt: skip
    assert store.by_idempotency_key("k", owner="alice") == batch
    with pytest.raises(BatchNotFound):
        store.get(batch.id, owner="bob")
    assert store.start_run(batch.id).status == "running"
    assert store.complete(batch.seq, 0, b'{"ok":1}', tokens=12, cached=False, cache_entry=("key", b"[1]"))
    assert not store.complete(batch.seq, 0, b'{"again":1}', tokens=0, cached=False)  # one result per item
    store.fail(batch.seq, 1, "refused")
    assert store.finish_if_settled(batch.seq)
    ended = store.get(batch.id)
    assert (ended.status, ended.done, ended.failed, ended.tokens) == ("done", 1, 1, 12)
    assert store.cached_generation("key") == b"[1]"
    assert [row.result for page in store.rows(batch.seq) for row in page] == [b'{"ok":1}', None]
    assert store.item_counts() == {"pending": 0, "done": 1, "failed": 1, "cached": 0}
    feedback = FeedbackStore(store.database)
    assert feedback.add(code="vague", text="Improve things", span=(0, 7), verdict="correct", note=None) >= 1
    assert feedback.summary() == [("vague", 0, 1)]
    store.probe_write()
    store.close()


def test_processes_starting_together_migrate_a_new_database_once(postgres_url):
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            Database.open(postgres_url).close()
        except BaseException as exc:  # reported below, in the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    database = Database.open(postgres_url)  # and it is at the newest version, with its tables once
    with database.reader() as connection:
        assert current(connection) == HEAD
        assert sa.inspect(connection).has_table("procrastinate_jobs")
    database.close()


def test_database_urls_name_their_driver_and_other_servers_are_refused():
    assert engine_url("postgresql://u:p@db:5432/realise").drivername == "postgresql+psycopg"
    assert engine_url("data/realise.db").drivername == "sqlite+pysqlite"
    with pytest.raises(ValueError, match="SQLite or PostgreSQL"):
        engine_url("mysql://u:p@db/realise")


def test_a_database_that_cannot_be_opened_is_named_without_its_password_and_the_commands_exit_1(tmp_path):
    import subprocess
    import sys

    from rewriter.errors import StorageUnavailable
    from tests.support.servers import free_port

    url = f"postgresql://realise:s3cret@127.0.0.1:{free_port()}/realise"
    with pytest.raises(StorageUnavailable, match="cannot open the database") as refused:
        Database.open(url)
    assert "s3cret" not in refused.value.message and "127.0.0.1" in refused.value.message
    for command in ("migrate", "worker"):
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", command], capture_output=True, text=True, timeout=60,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "REALISE_DATABASE_URL": url},
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert "database unavailable" in done.stderr and "s3cret" not in done.stderr + done.stdout
        assert "Traceback" not in done.stderr


def test_the_version_every_open_checks_against_is_the_newest_migration():
    assert HEAD == head()
