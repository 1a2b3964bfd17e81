"""Verdicts on findings ("false positive" / "correct"), kept in the service's database.

This is how the rule set learns where it is wrong: the summary counts verdicts per rule.
The table is the migrations' (rewriter/migrations/versions/0003_feedback.py).
"""

from __future__ import annotations

import time
from pathlib import Path

from rewriter.database import Database
from rewriter.storage_faults import NotesStorageFaults, translates_storage_faults


@translates_storage_faults
class FeedbackStore(NotesStorageFaults):
    def __init__(self, database: Database | str | Path) -> None:
        """``database``: the shared :class:`Database`, or a SQLite file's path (opened and migrated now,
        so a bad path fails at start-up)."""
        self.database = database if isinstance(database, Database) else Database.open(database)

    def add(self, *, code: str, text: str, span: tuple[int, int] | None, verdict: str, note: str | None) -> int:
        new_id = self.database.query(
            "INSERT INTO feedback (created_at, code, text, span_start, span_end, verdict, note) "
            "VALUES (:now, :code, :text, :start, :end, :verdict, :note) RETURNING id",
            {"now": time.time(), "code": code, "text": text, "start": span[0] if span else None,
             "end": span[1] if span else None, "verdict": verdict, "note": note},
        ).scalar_one()  # fmt: skip
        return int(new_id)

    def summary(self) -> list[tuple[str, int, int]]:
        """(code, false positives, correct) per rule, most disputed first."""
        rows = self.database.query(
            "SELECT code, SUM(CASE WHEN verdict = 'false_positive' THEN 1 ELSE 0 END) AS disputed, "
            "SUM(CASE WHEN verdict = 'correct' THEN 1 ELSE 0 END) FROM feedback "
            "GROUP BY code ORDER BY disputed DESC, code"
        ).all()
        return [(code, int(fp), int(ok)) for code, fp, ok in rows]

    def close(self) -> None:
        self.database.close()
