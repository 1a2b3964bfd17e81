from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from api.schemas import PromptInfo, problem_responses
from api.services import Services


class PromptController(Controller):
    path = "/v1/prompts"
    tags = ["prompts"]

    @get(
        operation_id="listPrompts",
        responses=problem_responses(401, 429),
        sync_to_thread=False,
        summary="List the prompt templates",
    )
    def list_prompts(self, services: NamedDependency[Services]) -> list[PromptInfo]:
        """List the prompt templates the model engine uses, with name, version and description."""
        return [
            PromptInfo(
                name=t.name,
                version=t.version,
                description=t.header.description,
                mission=t.header.mission,
                ref=t.ref,
            )
            for t in services.prompts
        ]
