"""Batches as the API shows them and takes them: the bodies of /v1/batches and the view of a
batch. The command line shows the same views (api/batch_cli.py), so they live apart from the
HTTP controller."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from api.schemas import ContextText, RequestText
from rewriter.batch.formats import MAX_ID_CHARS
from rewriter.batch.model import Batch, BatchOptions, BatchStatus


class BatchItemIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    request: RequestText
    context: ContextText | None = None
    id: Annotated[str, Meta(max_length=MAX_ID_CHARS)] | int | None = None


class BatchIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    items: Annotated[list[BatchItemIn], Meta(min_length=1, description="The backlog, one entry per item.")]
    options: BatchOptions = BatchOptions()


class BatchLinks(msgspec.Struct, kw_only=True):
    self: str
    results: str
    retry: str


class BatchView(msgspec.Struct, kw_only=True):
    id: str
    status: BatchStatus
    source: str
    total: int
    done: int
    failed: int
    cached: int
    pending: int
    progress: float
    items_per_second: float | None
    eta_seconds: float | None
    tokens: int
    options: BatchOptions
    input_digest: str
    error: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    links: BatchLinks


class BatchPage(msgspec.Struct, kw_only=True):
    batches: list[BatchView]
    next: str | None


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def batch_view(batch: Batch) -> BatchView:
    now = time.time()
    rate, eta = batch.items_per_second(now), batch.eta_seconds(now)
    path = f"/v1/batches/{batch.id}"
    return BatchView(
        id=batch.id, status=batch.status, source=batch.source, total=batch.total, done=batch.done, failed=batch.failed,
        cached=batch.cached, pending=batch.pending, progress=round(batch.progress, 4),
        items_per_second=None if rate is None else round(rate, 2), eta_seconds=None if eta is None else round(eta, 1),
        tokens=batch.tokens, options=batch.options, input_digest=batch.input_digest, error=batch.error,
        created_at=_iso(batch.created_at) or "", started_at=_iso(batch.run_started_at),
        finished_at=_iso(batch.finished_at),
        links=BatchLinks(self=path, results=f"{path}/results", retry=f"{path}/retry"),
    )  # fmt: skip
