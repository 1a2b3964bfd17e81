from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from api.errors import InvalidInput
from api.schemas import (
    CLIENT_ERRORS,
    FeedbackIn,
    FeedbackStored,
    FeedbackSummary,
    RuleFeedback,
    max_body_bytes,
    problem_responses,
)
from api.services import Services
from evaluators import all_rules


class FeedbackController(Controller):
    path = "/v1/feedback"
    tags = ["feedback"]

    @post(
        operation_id="createFeedback",
        responses=problem_responses(*CLIENT_ERRORS),
        status_code=201,
        sync_to_thread=True,
        request_max_body_size=max_body_bytes(FeedbackIn),
        summary="Report a finding as right or wrong",
    )
    def create_feedback(self, data: JSONBody[FeedbackIn], services: NamedDependency[Services]) -> FeedbackStored:
        """Record whether a finding was correct or a false positive, so the rule set can learn where it is wrong."""
        if data.code not in all_rules():
            raise InvalidInput("code", f"unknown rule code {data.code!r}; see GET /schema or docs/rules.md")
        feedback_id = services.feedback.add(
            code=data.code, text=data.text, span=data.span, verdict=data.verdict, note=data.note
        )
        return FeedbackStored(id=feedback_id, code=data.code, verdict=data.verdict)

    @get(
        "/summary",
        operation_id="getFeedbackSummary",
        responses=problem_responses(401, 429),
        sync_to_thread=True,
        summary="Verdicts counted per rule",
    )
    def feedback_summary(self, services: NamedDependency[Services]) -> FeedbackSummary:
        """Count verdicts per rule, most disputed first: where the evaluators are most often wrong."""
        rules = [
            RuleFeedback(
                code=code,
                false_positive=fp,
                correct=ok,
                total=fp + ok,
                false_positive_rate=round(fp / (fp + ok), 3) if fp + ok else 0.0,
            )
            for code, fp, ok in services.feedback.summary()
        ]
        return FeedbackSummary(rules=rules, total=sum(r.total for r in rules))
