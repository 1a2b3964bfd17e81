"""Verdicts on findings ("false positive" / "correct"), kept in a SQLite file.

This is how the rule set learns where it is wrong: the summary counts verdicts per rule.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from rewriter.storage_faults import NotesStorageFaults, translates_storage_faults

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    code TEXT NOT NULL,
    text TEXT NOT NULL,
    span_start INTEGER,
    span_end INTEGER,
    verdict TEXT NOT NULL CHECK (verdict IN ('false_positive', 'correct')),
    note TEXT
);
CREATE INDEX IF NOT EXISTS feedback_code ON feedback (code);
"""


@translates_storage_faults
class FeedbackStore(NotesStorageFaults):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection guarded by a lock: writes are tiny and rare.
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        with self._lock:
            self._db  # create the file and schema now, so a bad path fails at start-up

    @property
    def _db(self) -> sqlite3.Connection:
        """The connection, (re)opened on demand: an app may be shut down and started again."""
        if self._connection is None:
            self._connection = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA busy_timeout=5000")
            self._connection.executescript(SCHEMA)
        return self._connection

    def add(self, *, code: str, text: str, span: tuple[int, int] | None, verdict: str, note: str | None) -> int:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO feedback (created_at, code, text, span_start, span_end, verdict, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time.time(), code, text, span[0] if span else None, span[1] if span else None, verdict, note),
            )
            assert cursor.lastrowid is not None  # an INSERT into a rowid table always sets it
            return cursor.lastrowid

    def summary(self) -> list[tuple[str, int, int]]:
        """(code, false positives, correct) per rule, most disputed first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT code, SUM(verdict = 'false_positive'), SUM(verdict = 'correct') FROM feedback "
                "GROUP BY code ORDER BY SUM(verdict = 'false_positive') DESC, code"
            ).fetchall()
        return [(code, int(fp), int(ok)) for code, fp, ok in rows]

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
