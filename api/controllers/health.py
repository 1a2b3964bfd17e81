from __future__ import annotations

import time
from typing import Literal

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec

from api.schemas import Health, Readiness
from api.services import Services
from rewriter.errors import StorageUnavailable
from rewriter.storage_faults import NotesStorageFaults

# A write that failed this recently keeps /ready unavailable even if the small probe succeeds
# (a full disk can still take one tiny row into space the database file already has).
RECENT_STORAGE_FAULT_SECONDS = 10.0


def storage_check(services: Services) -> str:
    """ "ok", or why the database cannot be written: a small real write, and recent failures."""
    stores: tuple[NotesStorageFaults, ...] = (services.batch_store, services.feedback)
    try:
        services.batch_store.probe_write()
    except StorageUnavailable as exc:
        return exc.message
    for store in stores:
        fault = store.last_storage_fault
        if fault is not None and time.monotonic() - fault[0] < RECENT_STORAGE_FAULT_SECONDS:
            return f"a write failed {time.monotonic() - fault[0]:.0f} s ago: {fault[1].message}"
    return "ok"


def queue_check(services: Services) -> str:
    """What runs the batches, and whether anything does."""
    try:
        workers = services.batch_runner.live_workers()
    except StorageUnavailable as exc:
        return f"unknown: {exc.message}"
    if workers is None:
        return "in this process"
    if workers == 0:
        return (
            f"no worker has sent a heartbeat in {services.settings.worker_timeout:g} s: "
            "batches wait until one runs (realise worker)"
        )
    return f"{workers} worker{'s' if workers != 1 else ''}"


class HealthController(Controller):
    tags = ["operations"]

    @get("/health", operation_id="getHealth", summary="Liveness")
    async def health(self) -> Health:
        """Liveness: the process is up and serving requests."""
        return Health(status="ok")

    @get(
        "/ready",
        operation_id="getReadiness",
        summary="Readiness",
        responses={
            503: ResponseSpec(
                data_container=Readiness, description="The database cannot be written (`checks.database` says why)."
            )
        },
    )
    async def ready(self, services: NamedDependency[Services]) -> Response[Readiness]:
        """Readiness: templates loaded, evaluators configured, engine chosen. Never calls a paid model.

        ``degraded`` while the model circuit is open (recent consecutive provider faults: no
        connection, 5xx, timeouts, rate limits; never a reply one request provoked): the
        service still answers, failing fast or falling back to the offline engine. Also
        ``degraded`` when the model server does not list the configured model (``checks.model``
        says which it lists), as learnt from its free ``GET /models`` at start-up.
        ``unavailable`` with status 503 while the database cannot be written (a full disk, a
        read-only file, a PostgreSQL server out of reach): ``checks.database`` says why; take the
        instance out of rotation. ``checks.queue`` says what runs the batches: this process (a
        SQLite file), or how many ``realise worker`` processes sent a heartbeat lately
        (PostgreSQL); with none, batches wait and the status is ``degraded``.
        """
        circuit = services.pipeline.circuit.state
        checks = {"prompts": "ok", "evaluators": "ok", "engine": services.engine.provider, "model_circuit": circuit}
        readiness = getattr(services.engine, "readiness", None)
        if readiness is not None:
            checks.update(readiness())
        not_served = checks.get("model", "").startswith("not served")
        checks["database"] = storage_check(services)
        checks["queue"] = (
            queue_check(services) if checks["database"] == "ok" else "unknown: the database cannot be written"
        )
        if checks["database"] != "ok":
            status: Literal["ready", "degraded", "unavailable"] = "unavailable"
        else:
            degraded = circuit == "open" or not_served or checks["queue"].startswith("no worker")
            status = "degraded" if degraded else "ready"
        readiness = Readiness(
            status=status,
            engine=services.engine.provider,
            model=services.engine.model if services.engine.provider != "offline" else None,
            prompts=len(services.prompts.templates),
            checks=checks,
        )
        return Response(readiness, status_code=503 if status == "unavailable" else 200)
