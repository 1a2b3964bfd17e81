from __future__ import annotations

from litestar import Controller, post

from api.schemas import EvaluationIn
from api.services import Services
from evaluators import Evaluation, evaluate


class EvaluationController(Controller):
    path = "/v1/evaluations"
    tags = ["evaluate"]

    @post(operation_id="createEvaluation", status_code=200, summary="Judge an objective and its key results")
    def create_evaluation(self, data: EvaluationIn, services: Services) -> Evaluation:
        """Judge an objective and its key results with the rule-based evaluators.

        Returns the kind of the objective (output or outcome), each key result's kind and
        measurability, every finding (code, severity, message, the span of the words that
        triggered it, a suggestion) sorted by severity then position, and a 0–1 score.
        Pure computation with no model call: fast enough for as-you-type linting.
        """
        return evaluate(
            data.objective,
            data.key_results,
            context=data.context,
            key_result_range=data.key_result_range,
            config=services.evaluator_config,
        )
