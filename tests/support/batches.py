"""Following a batch through the API, as a client does."""

from __future__ import annotations

import time
from typing import Any


def wait_until_ended(client: Any, batch_id: str, timeout: float = 30.0, poll: float = 0.05) -> dict:
    """The batch once it has ended (done, failed or cancelled); fails the test after ``timeout``.

    ``client``: anything with ``get(path)`` returning a response with ``.json()`` (Litestar's
    TestClient, an httpx.Client with a base URL)."""
    deadline = time.monotonic() + timeout
    while True:
        batch = client.get(f"/v1/batches/{batch_id}").json()
        if batch["status"] not in ("queued", "running"):
            return batch
        if time.monotonic() > deadline:
            raise AssertionError(f"batch {batch_id} did not end in {timeout:g} s: {batch}")
        time.sleep(poll)
