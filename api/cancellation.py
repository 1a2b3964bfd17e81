"""Stop paying for work nobody will read: a deadline, and cancellation when the client leaves."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from litestar import Request

from rewriter.errors import UpstreamTimeout

T = TypeVar("T")


class ClientDisconnected(Exception):
    """The client closed the connection before the answer was ready."""


async def _wait_for_disconnect(request: Request[Any, Any, Any]) -> None:
    # The body has been read by now, so the next message the server sends us is the disconnect.
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def run_for_client(request: Request[Any, Any, Any], work: Coroutine[Any, Any, T], *, deadline: float) -> T:
    """Run ``work``; cancel it (and its model call) if the client disconnects or the deadline passes."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_wait_for_disconnect(request))
    try:
        done, _ = await asyncio.wait({task, watcher}, timeout=deadline, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            return task.result()
        task.cancel()
        if watcher in done:
            raise ClientDisconnected
        raise UpstreamTimeout(f"the rewrite did not finish within the {deadline:g} s deadline")
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()
