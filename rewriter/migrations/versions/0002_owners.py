"""Batches belong to an owner (SQLite user_version 2).

Revision ID: 0002
Revises: 0001

The owner is the API key that made the batch ('' for batches made with keys off, or before
owners existed), and an Idempotency-Key is unique per owner instead of across owners.
SQLite cannot drop a column's UNIQUE, so there the table is rebuilt and its rows copied.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_V1_COLUMNS = (
    "seq, id, status, source, input_digest, idempotency_key, options, total, done, failed, cached, tokens, "
    "tokens_at_run_start, completed_at_run_start, error, created_at, run_started_at, finished_at"
)
_SQLITE_V2_BATCHES = """
CREATE TABLE batches_v2 (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'cancelled', 'failed')),
    source TEXT NOT NULL,
    input_digest TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT,
    options TEXT NOT NULL,
    total INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    cached INTEGER NOT NULL DEFAULT 0,
    tokens INTEGER NOT NULL DEFAULT 0,
    tokens_at_run_start INTEGER NOT NULL DEFAULT 0,
    completed_at_run_start INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created_at REAL NOT NULL,
    run_started_at REAL,
    finished_at REAL
)
"""


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if "owner" not in {column["name"] for column in inspector.get_columns("batches")}:
        if bind.dialect.name == "sqlite":
            op.execute(_SQLITE_V2_BATCHES)
            op.execute(f"INSERT INTO batches_v2 ({_V1_COLUMNS}, owner) SELECT {_V1_COLUMNS}, '' FROM batches")
            op.execute("DROP TABLE batches")
            op.execute("ALTER TABLE batches_v2 RENAME TO batches")
        else:
            op.add_column("batches", sa.Column("owner", sa.Text(), nullable=False, server_default=""))
            for constraint in inspector.get_unique_constraints("batches"):
                if constraint["column_names"] == ["idempotency_key"] and constraint["name"]:
                    op.drop_constraint(constraint["name"], "batches", type_="unique")
    indexes = {index["name"] for index in sa.inspect(bind).get_indexes("batches")}
    for name, columns in (("batches_by_status", ["status", "seq"]), ("batches_by_input", ["input_digest", "seq"]),
                          ("batches_by_owner", ["owner", "seq"])):  # fmt: skip
        if name not in indexes:
            op.create_index(name, "batches", columns)
    if "batches_by_idempotency_key" not in indexes:
        op.create_index("batches_by_idempotency_key", "batches", ["owner", "idempotency_key"], unique=True)
