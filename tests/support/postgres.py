"""A throwaway PostgreSQL server for tests and benches: its own cluster in a temporary
directory, listening on loopback only, trust authentication, removed when it stops.

The binaries come from Debian's ``postgresql`` package (``/usr/lib/postgresql/<version>/bin``)
or PATH; where there are none, :func:`binaries` returns None and the tests that need a server
skip, saying so (``.ci/run`` installs the package, so CI never skips them). initdb refuses to
run as root, so as root the cluster belongs to the ``postgres`` user and its commands run
through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SKIP_REASON = "PostgreSQL's server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql"


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    on_path = shutil.which("initdb")  # another layout: initdb's own folder, resolving links
    if on_path and (Path(on_path).resolve().parent / "pg_ctl").exists():
        return Path(on_path).resolve().parent
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    port: int
    data: Path
    bin: Path
    as_user: list[str]

    def url(self, database: str = "realise") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_user, str(self.bin / tool), *args], check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data / "cluster"), "-m", "immediate", "stop"],
            capture_output=True,
        )


@contextlib.contextmanager
def postgres_server(max_connections: int = 200) -> Iterator[Server]:
    """A running server with an empty database ``realise``; stopped and deleted afterwards."""
    folder = binaries()
    if folder is None:
        raise RuntimeError(SKIP_REASON)
    data = Path(tempfile.mkdtemp(prefix="realise-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(data, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    server = Server(port=_free_port(), data=data, bin=folder, as_user=as_user)
    try:
        server._run("initdb", "-D", str(data / "cluster"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {server.port} -k {data} -c max_connections={max_connections} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        server._run("pg_ctl", "-D", str(data / "cluster"), "-o", options, "-l", str(data / "log"), "-w", "start")
        server.create_database("realise")
        yield server
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)
