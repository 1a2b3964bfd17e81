"""Verdicts on findings (the feedback store), in the same database as the batches.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("feedback"):
        return  # a file from before Alembic: the feedback store made it itself
    op.create_table(
        "feedback",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(), primary_key=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("span_start", sa.Integer()),
        sa.Column("span_end", sa.Integer()),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.CheckConstraint("verdict IN ('false_positive', 'correct')", name="feedback_verdict"),
        sqlite_autoincrement=True,
    )
    op.create_index("feedback_code", "feedback", ["code"])
