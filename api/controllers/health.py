from __future__ import annotations

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
    async def ready(self, services: Services) -> Readiness:
        """Readiness: templates loaded, evaluators configured, engine chosen. Never calls a paid model."""
        return Readiness(
            status="ready",
            engine=services.engine.provider,
            model=services.engine.model if services.engine.provider != "offline" else None,
            prompts=len(services.prompts.templates),
            checks={"prompts": "ok", "evaluators": "ok", "engine": services.engine.provider},
        )
