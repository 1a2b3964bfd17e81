from __future__ import annotations

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from api.schemas import CLIENT_ERRORS, EvaluationIn, max_body_bytes, problem_responses
from api.services import Services
from evaluators import Evaluation, evaluate


class EvaluationController(Controller):
    path = "/v1/evaluations"
    tags = ["evaluate"]

    @post(
        operation_id="createEvaluation",
        responses=problem_responses(*CLIENT_ERRORS),
        status_code=200,
        request_max_body_size=max_body_bytes(EvaluationIn),
        sync_to_thread=False,
        summary="Judge an objective and its key results",
    )
    def create_evaluation(self, data: JSONBody[EvaluationIn], services: NamedDependency[Services]) -> Evaluation:
        """Judge an objective and its key results with the rule-based evaluators.

        Returns the kind of the objective (output or outcome; unknown for a language the rules
        do not read) and its detected language, each key result's kind and measurability, every
        finding (code, severity, message, the span of the words that triggered it, a suggestion)
        sorted by severity then position, and a 0–1 score.
        Pure computation with no model call: fast enough for as-you-type linting (it runs on
        the event loop: a thread hop would cost more than the evaluation itself).
        """
        return evaluate(
            data.objective,
            data.key_results,
            context=data.context,
            request=data.request,
            mission=data.mission,
            key_result_range=data.key_result_range,
            config=services.evaluator_config,
        )
