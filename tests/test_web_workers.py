"""``realise serve --workers N``: several processes on one port, one database, one set of metrics."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx
import pytest
from support.servers import is_running, live_children, run_realise_server

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")


def serving_children(pid: int) -> list[int]:
    """The processes uvicorn spawned to serve (not multiprocessing's resource tracker)."""
    return live_children(pid, b"spawn_main")


def rewrites_counted(metrics: str) -> float:
    pattern = r'^realise_requests_total\{[^}]*method="POST",path="/v1/rewrites",status_code="200"\} (\S+)$'
    return sum(float(value) for value in re.findall(pattern, metrics, flags=re.MULTILINE))


async def rewrite_many(url: str, count: int) -> list[int]:
    async def one(n: int) -> int:
        # A client per request: new connections, so the kernel spreads them over the processes.
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            response = await client.post("/v1/rewrites", json={"request": f"Upgrade Elasticsearch cluster {n}"})
            return response.status_code

    return await asyncio.gather(*(one(n) for n in range(count)))


def test_two_processes_serve_one_port_sum_their_metrics_run_each_batch_once_and_stop_together(tmp_path):
    env = {"REALISE_ENGINE": "offline", "REALISE_DB_PATH": str(tmp_path / "shared.db"), "REALISE_LOG_LEVEL": "WARNING"}
    with run_realise_server(env=env, args=["--workers", "2"]) as server:
        deadline = time.monotonic() + 30
        while len(serving_children(server.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = serving_children(server.process.pid)
        assert len(workers) == 2

        statuses = asyncio.run(rewrite_many(server.url, 40))
        assert statuses == [200] * 40
        # Whichever process answers the scrape, it counts the requests of both.
        assert [rewrites_counted(httpx.get(f"{server.url}/metrics").text) for _ in range(6)] == [40.0] * 6

        # A batch, submitted to whichever process: run once, by the one that runs the file's batches.
        created = httpx.post(
            f"{server.url}/v1/batches", json={"items": [{"request": f"Build report {n}"} for n in range(6)]}
        ).json()
        for _ in range(300):
            batch = httpx.get(f"{server.url}/v1/batches/{created['id']}").json()
            if batch["status"] == "done":
                break
            time.sleep(0.05)
        assert (batch["status"], batch["done"], batch["failed"]) == ("done", 6, 0)
        rows = httpx.get(f"{server.url}/v1/batches/{created['id']}/results").text.splitlines()
        assert len(rows) == 6
    assert not any(map(is_running, workers))  # stopping the server stops its workers


def test_the_workers_count_comes_from_the_environment_and_is_checked():
    from api.config import ConfigError, load_settings

    assert load_settings({"REALISE_WEB_WORKERS": "3"}).web_workers == 3
    assert load_settings({}).web_workers == 1
    with pytest.raises(ConfigError):
        load_settings({"REALISE_WEB_WORKERS": "0"})
