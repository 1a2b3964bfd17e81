from __future__ import annotations

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from api.cancellation import run_for_client
from api.observability import log_fields
from api.schemas import CLIENT_ERRORS, MODEL_ERRORS, RewriteIn, max_body_bytes, problem_responses
from api.services import Services
from rewriter.domain import RewriteResult


class RewriteController(Controller):
    path = "/v1/rewrites"
    tags = ["rewrite"]

    @post(
        operation_id="createRewrite",
        responses=problem_responses(*CLIENT_ERRORS, *MODEL_ERRORS),
        status_code=200,
        request_max_body_size=max_body_bytes(RewriteIn),
        summary="Rewrite an output-style request as outcomes",
    )
    async def create_rewrite(
        self, data: JSONBody[RewriteIn], services: NamedDependency[Services], request: Request
    ) -> RewriteResult:
        """Turn an output-style ask ("Upgrade Elasticsearch", a user story) into ranked outcome candidates.

        The request itself is assessed first (was an output or an outcome asked for?), then an
        engine (the configured model, or the offline engine) proposes candidates, every candidate
        is judged by the rule-based evaluators, and the list comes back best first. Unknown
        baselines and targets are null or explicit "to be measured" placeholders, never invented.
        """
        result = await run_for_client(
            request, services.pipeline.rewrite(data.spec()), deadline=services.settings.request_deadline
        )
        log_fields(request.scope).update(
            engine=result.engine.provider,
            model=result.engine.model,
            prompt=result.engine.prompt,
            tokens=result.usage.total_tokens,
            model_calls=result.usage.calls,
            fallback=result.engine.fallback_reason is not None,
        )
        return result
