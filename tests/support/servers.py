"""Start real server processes on free loopback ports, for integration tests and benchmarks.

Each runner is a plain (synchronous) context manager, so it works in pytest fixtures of any
scope::

    with run_mock_model(latency=0.2) as model, run_realise_server(
        env={"OPENAI_BASE_URL": model.base_url}  # whichever variables api.cli reads
    ) as realise:
        httpx.get(f"{realise.url}/health")

Children run in their own process group, are stopped with SIGTERM and then SIGKILL, and
write stdout/stderr to temporary files (a pipe nobody reads would block a chatty server).
The tail of that output is part of every startup error; ``output_tail()`` gives it on demand.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
MOCK_MODEL_SCRIPT = Path(__file__).with_name("mock_openai.py")
STARTUP_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
_POLL_INTERVAL = 0.05


class ServerStartError(RuntimeError):
    """A server process exited or did not become ready in time."""


def free_port() -> int:
    """A loopback port that was free a moment ago.

    Another process may take it before the caller binds it; that race is rare enough for
    tests. Servers that can report their own port (the mock) bind port 0 instead.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _child_env(overrides: Mapping[str, str | None] | None) -> dict[str, str]:
    """os.environ with ``overrides`` on top (a None value removes the variable).

    The children import the project as installed (``make install`` installs this checkout in
    editable mode), so nothing is added to their path.
    """
    env = dict(os.environ)
    for name, value in (overrides or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env["PYTHONUNBUFFERED"] = "1"  # so the output tail on failure is complete
    return env


def _answers_health(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


class ServerProcess:
    """A child process with its output captured in files under ``log_dir``."""

    def __init__(self, command: list[str], log_dir: Path, env: Mapping[str, str | None] | None = None) -> None:
        self.command = command
        self._stdout_path = log_dir / "stdout.log"
        self._stderr_path = log_dir / "stderr.log"
        with self._stdout_path.open("wb") as stdout, self._stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=_child_env(env),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                # Own process group: stop() reaches any workers the server forks, and a
                # Ctrl-C in the test terminal does not hit the child twice.
                start_new_session=True,
            )

    def output_tail(self, lines: int = 40) -> str:
        sections = []
        for name, path in (("stdout", self._stdout_path), ("stderr", self._stderr_path)):
            with suppress(FileNotFoundError):
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                sections.append(f"--- {name} (last {lines} lines) ---\n" + "\n".join(tail))
        return "\n".join(sections)

    def wait_until(self, is_ready: Callable[[], bool], timeout: float = STARTUP_TIMEOUT) -> None:
        """Poll ``is_ready`` until it is true; fail early if the process dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise ServerStartError(
                    f"{self._describe()} exited with code {code} before it was ready\n{self.output_tail()}"
                )
            if is_ready():
                return
            time.sleep(_POLL_INTERVAL)
        raise ServerStartError(f"{self._describe()} was not ready after {timeout:g}s\n{self.output_tail()}")

    def kill(self) -> None:
        """SIGKILL the server (and its process group) without a chance to clean up."""
        self._signal_group(signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM, then SIGKILL if the server has not exited within ``timeout`` seconds."""
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait()
        # A test may have killed only the leader; don't leave its workers behind.
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, signum: signal.Signals) -> None:
        # The child leads its own session, so its pid is its process group id.
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def _describe(self) -> str:
        return " ".join(self.command)


class MockModel(ServerProcess):
    """A running ``tests/support/mock_openai.py`` process and a client for its control API."""

    # Known once the mock has written its port file; run_mock_model sets them before yielding.
    port: int
    url: str  # http://127.0.0.1:PORT
    base_url: str  # url + "/v1", for an OpenAI client

    def listening_on(self, port: int) -> None:
        self.port = port
        self.url = f"http://{LOOPBACK}:{port}"
        self.base_url = f"{self.url}/v1"

    def script(self, responses: list[dict[str, Any]]) -> None:
        """Queue responses for the next chat requests; see ``tests/support/mock_openai.py``."""
        self._control("POST", "/_control/script", {"responses": responses})

    def set_mode(self, mode: str) -> None:
        """``"echo"`` copies the request text into the answer; ``"default"`` undoes that."""
        self._control("POST", "/_control/mode", {"mode": mode})

    def set_rules(self, rules: list[dict[str, Any]]) -> None:
        """Standing faults tied to what a request says (``contains``): an error ``status`` or
        ``echo``, optionally for the first ``times`` calls of each request text; see
        ``tests/support/mock_openai.py``."""
        self._control("POST", "/_control/rules", {"rules": rules})

    def stats(self) -> dict[str, Any]:
        return self._control("GET", "/_stats")

    def reset(self) -> None:
        """Clear stats, script, rules and mode, and reseed the mock's RNG."""
        self._control("POST", "/_control/reset")

    def _control(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, f"{self.url}{path}", json=payload, timeout=5.0)
        response.raise_for_status()
        return response.json()


class RealiseServer(ServerProcess):
    """A running ``realise serve`` process."""

    def __init__(self, command: list[str], log_dir: Path, env: Mapping[str, str | None] | None, port: int) -> None:
        super().__init__(command, log_dir, env)
        self.port = port
        self.url = f"http://{LOOPBACK}:{port}"


def _option_flags(options: Mapping[str, Any]) -> list[str]:
    """``latency=0.2, reject_json_schema=True`` -> ``--latency 0.2 --reject-json-schema``."""
    flags: list[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif value is not False and value is not None:
            flags.extend([flag, str(value)])
    return flags


@contextmanager
def run_mock_model(**options: Any) -> Iterator[MockModel]:
    """Run the mock OpenAI server; ``options`` are its CLI flags, e.g. ``latency=0.2``.

    Booleans switch flags on or off; None leaves a flag out.
    """
    with tempfile.TemporaryDirectory(prefix="realise-mock-") as tmp:
        log_dir = Path(tmp)
        port_file = log_dir / "port"
        command = [
            sys.executable, str(MOCK_MODEL_SCRIPT),
            "--host", LOOPBACK, "--port", "0", "--port-file", str(port_file),
            *_option_flags(options),
        ]  # fmt: skip
        model = MockModel(command, log_dir)
        try:
            model.wait_until(port_file.exists)  # written atomically once the mock listens
            model.listening_on(int(port_file.read_text()))
            model.wait_until(lambda: _answers_health(model.url))
            yield model
        finally:
            model.stop()


@contextmanager
def run_realise_server(
    env: Mapping[str, str | None] | None = None, args: list[str] | None = None
) -> Iterator[RealiseServer]:
    """Run ``python -m api.cli serve`` on a free loopback port until ``GET /health`` is 200.

    ``env`` is merged over os.environ (None removes a variable); ``args`` go after the
    host and port.
    """
    with tempfile.TemporaryDirectory(prefix="realise-server-") as tmp:
        port = free_port()
        command = [
            sys.executable, "-m", "api.cli", "serve",
            "--host", LOOPBACK, "--port", str(port),
            *(args or []),
        ]  # fmt: skip
        server = RealiseServer(command, Path(tmp), env, port)
        try:
            server.wait_until(lambda: _answers_health(server.url))
            yield server
        finally:
            server.stop()


def live_children(parent: int, command_has: bytes) -> list[int]:
    """Live (not zombie) processes whose parent is ``parent`` and whose command line contains
    ``command_has``, sorted (Linux: read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(ppid) == parent and state != "Z" and command_has in cmdline:
            found.append(int(entry.name))
    return sorted(found)


def is_running(pid: int) -> bool:
    """Whether the process exists and is not a zombie (Linux)."""
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def model_env(
    model, tmp_path, *, key: str = "sk-server-secret-abcdef123456", retry_budget: str = "5", **extra: str | None
) -> dict[str, str | None]:
    """The environment of a realise server that rewrites with ``model`` (a mock or llama-like
    server on loopback), its SQLite file in ``tmp_path`` and JSON logs."""
    return {
        "OPENAI_BASE_URL": model.base_url,
        "OPENAI_API_KEY": key,
        "REALISE_MODEL": "mock-model",
        "REALISE_ENGINE": None,
        "REALISE_DB_PATH": str(tmp_path / "realise.db"),
        "REALISE_RETRY_BUDGET": retry_budget,
        "REALISE_LOG_FORMAT": "json",
        **extra,
    }


@contextmanager
def run_realise_worker(env: Mapping[str, str | None], args: list[str] | None = None) -> Iterator[ServerProcess]:
    """Run ``python -m api.cli worker`` until it logs that it takes jobs (``env`` needs
    REALISE_DATABASE_URL, and a log level of INFO)."""
    with tempfile.TemporaryDirectory(prefix="realise-worker-") as tmp:
        worker = ServerProcess([sys.executable, "-m", "api.cli", "worker", *(args or [])], Path(tmp), env)
        try:
            worker.wait_until(lambda: "batch_worker_ready" in worker.output_tail(200), timeout=60)
            yield worker
        finally:
            worker.stop(timeout=15)
