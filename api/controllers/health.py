from __future__ import annotations

from litestar.di import NamedDependency
from litestar import Controller, get

from api.schemas import Health, Readiness
from api.services import Services


class HealthController(Controller):
    tags = ["operations"]

    @get("/health", operation_id="getHealth", summary="Liveness")
    async def health(self) -> Health:
        """Liveness: the process is up and serving requests."""
        return Health(status="ok")

    @get("/ready", operation_id="getReadiness", summary="Readiness")
    async def ready(self, services: NamedDependency[Services]) -> Readiness:
        """Readiness: templates loaded, evaluators configured, engine chosen. Never calls a paid model.

        ``degraded`` while the model circuit is open (recent consecutive provider faults: no
        connection, 5xx, timeouts, rate limits; never a reply one request provoked): the
        service still answers, failing fast or falling back to the offline engine. Also
        ``degraded`` when the model server does not list the configured model (``checks.model``
        says which it lists), as learnt from its free ``GET /models`` at start-up.
        """
        circuit = services.pipeline.circuit.state
        checks = {"prompts": "ok", "evaluators": "ok", "engine": services.engine.provider, "model_circuit": circuit}
        readiness = getattr(services.engine, "readiness", None)
        if readiness is not None:
            checks.update(readiness())
        not_served = checks.get("model", "").startswith("not served")
        return Readiness(
            status="degraded" if circuit == "open" or not_served else "ready",
            engine=services.engine.provider,
            model=services.engine.model if services.engine.provider != "offline" else None,
            prompts=len(services.prompts.templates),
            checks=checks,
        )
