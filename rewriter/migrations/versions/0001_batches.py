"""Batches, their items, the results cache and the write probe (the schema of SQLite user_version 0 and 1).

Revision ID: 0001
Revises:

Creates only the tables a database lacks: a file from before Alembic keeps its tables and
rows as they are (0002 brings them up to date).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Creation order: SQLite numbers batches 1, 2, …; PostgreSQL takes them from an identity column.
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME: sa.Double[float] = sa.Double()


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "batches" not in existing:
        op.create_table(
            "batches",
            sa.Column("seq", SEQ, sa.Identity(), primary_key=True),
            sa.Column("id", sa.Text(), nullable=False, unique=True),
            sa.Column("status", sa.Text(), nullable=False),
            sa.Column("source", sa.Text(), nullable=False),
            sa.Column("input_digest", sa.Text(), nullable=False),
            sa.Column("idempotency_key", sa.Text(), unique=True),
            sa.Column("options", sa.Text(), nullable=False),
            *(
                sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")
                for name in (
                    "total",
                    "done",
                    "failed",
                    "cached",
                    "tokens",
                    "tokens_at_run_start",
                    "completed_at_run_start",
                )
            ),
            sa.Column("error", sa.Text()),
            sa.Column("created_at", TIME, nullable=False),
            sa.Column("run_started_at", TIME),
            sa.Column("finished_at", TIME),
            sa.CheckConstraint("status IN ('queued', 'running', 'done', 'cancelled', 'failed')", name="batches_status"),
            sqlite_autoincrement=True,
        )
        op.create_index("batches_by_status", "batches", ["status", "seq"])
        op.create_index("batches_by_input", "batches", ["input_digest", "seq"])
    if "batch_items" not in existing:
        op.create_table(
            "batch_items",
            sa.Column("batch_seq", SEQ, sa.ForeignKey("batches.seq"), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("item_id", sa.Text(), nullable=False),
            sa.Column("request", sa.Text(), nullable=False),
            sa.Column("context", sa.Text()),
            sa.Column("status", sa.Text(), nullable=False, server_default="pending"),
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("cached", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("result", sa.LargeBinary()),
            sa.Column("error", sa.Text()),
            sa.PrimaryKeyConstraint("batch_seq", "position"),
            sa.CheckConstraint("status IN ('pending', 'done', 'failed')", name="batch_items_status"),
            sqlite_with_rowid=False,
        )
        op.create_index("batch_items_by_status", "batch_items", ["batch_seq", "status", "position"])
    if "batch_results" not in existing:
        op.create_table(
            "batch_results",
            sa.Column("cache_key", sa.Text(), primary_key=True),
            sa.Column("generation", sa.LargeBinary(), nullable=False),
            sa.Column("tokens", sa.BigInteger(), nullable=False),
            sa.Column("created_at", TIME, nullable=False),
            sqlite_with_rowid=False,
        )
    if "write_probe" not in existing:
        op.create_table(
            "write_probe",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("at", TIME, nullable=False),
            sa.CheckConstraint("id = 1", name="write_probe_one_row"),
        )
