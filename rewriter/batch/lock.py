"""One process at a time runs the batches of a database file.

Two runners on one file (a server and an in-process ``realise batch``, or two servers) would
both resume the same unfinished batch and send its items to the model twice. The runner that
runs batches holds an exclusive advisory lock on ``<database>.runner.lock`` (``flock``: the
kernel drops it when the process dies, however it dies, so a crash never leaves it stale).
The file holds the holder's process id, for the message the others show.

Where ``fcntl`` does not exist (Windows) the lock always succeeds: one runner per file is then
the operator's job, as it was before.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]


class RunnerLock:
    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".runner.lock")
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock if no other process holds it; True if this runner holds it now."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        """Who holds it, as far as the file says: 'process 1234', or 'another process'."""
        try:
            pid = self.path.read_text().strip()
        except OSError:
            pid = ""
        return f"process {pid}" if pid.isdigit() else "another process"

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
