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

        ``degraded`` while the model circuit is open (recent consecutive model failures): the
        service still answers, failing fast or falling back to the offline engine.
        """
        circuit = services.pipeline.circuit.state
        return Readiness(
            status="degraded" if circuit == "open" else "ready",
            engine=services.engine.provider,
            model=services.engine.model if services.engine.provider != "offline" else None,
            prompts=len(services.prompts.templates),
            checks={"prompts": "ok", "evaluators": "ok", "engine": services.engine.provider, "model_circuit": circuit},
        )
