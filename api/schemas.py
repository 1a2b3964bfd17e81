"""Request DTOs with their limits. Responses are the pipeline's and evaluators' own structs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
import msgspec.inspect
from litestar.openapi import ResponseSpec
from msgspec import Meta

from rewriter.domain import (
    MAX_CONTEXT_CHARS,
    MAX_REQUEST_CHARS,
    RewriteOptions,
    RewriteSpec,
    control_characters,
    unreadable_text,
)

# pattern \S: at least one non-blank character (blank text is trimmed to nothing and refused).
RequestText = Annotated[
    str,
    Meta(
        min_length=1, max_length=MAX_REQUEST_CHARS, pattern=r"\S",
        description="The output-style ask, e.g. 'Upgrade Elasticsearch'. Words in any language; "
        "text of only emoji, zero-width or control characters is refused.",
    ),
]  # fmt: skip
ContextText = Annotated[
    str, Meta(max_length=MAX_CONTEXT_CHARS, description="Why it was asked and who it serves: the answers to 'why?'.")
]
ObjectiveText = Annotated[str, Meta(min_length=1, max_length=2000, pattern=r"\S")]
KeyResultText = Annotated[str, Meta(min_length=1, max_length=1000, pattern=r"\S")]


def _require_text(value: str, field: str) -> str:
    trimmed = value.strip()
    if not trimmed:
        raise ValueError(f"`{field}` must contain text, not only whitespace")
    if (why := unreadable_text(trimmed)) is not None:
        raise ValueError(f"`{field}` {why}")
    return trimmed


def _optional_text(value: str | None, field: str) -> str | None:
    """Context may be anything a person writes, but never control characters."""
    if value is None:
        return None
    if control_characters(value):
        raise ValueError(f"`{field}` contains control characters (such as NUL); send plain text")
    return value.strip() or None


class RewriteIn(RewriteOptions, frozen=True, kw_only=True, forbid_unknown_fields=True):
    request: RequestText
    context: ContextText | None = None

    def __post_init__(self) -> None:
        msgspec.structs.force_setattr(self, "request", _require_text(self.request, "request"))
        msgspec.structs.force_setattr(self, "context", _optional_text(self.context, "context"))

    def spec(self) -> RewriteSpec:
        return RewriteSpec(request=self.request, context=self.context, **self.options())


class EvaluationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    objective: ObjectiveText
    key_results: Annotated[list[KeyResultText], Meta(max_length=10)] = []
    context: ContextText | None = None
    request: (
        Annotated[
            RequestText,
            Meta(
                description="The request the objective was written for: an objective repeating an output-style "
                "request is flagged (echoes_request), and the request's words count as words."
            ),
        ]
        | None
    ) = None
    mission: (
        Annotated[
            Literal["delivery", "discovery"],
            Meta(
                description="Overrides the mission detected from the objective; under discovery, research key results "
                "(interviews, experiments with a deadline) are right."
            ),
        ]
        | None
    ) = None
    key_result_range: (
        Annotated[
            tuple[Annotated[int, Meta(ge=0, le=10)], Annotated[int, Meta(ge=0, le=10)]],
            Meta(description="[min, max] key results expected; overrides the configured range."),
        ]
        | None
    ) = None

    def __post_init__(self) -> None:
        self.objective = _require_text(self.objective, "objective")
        self.key_results = [_require_text(kr, "key_results") for kr in self.key_results]
        if self.request is not None:
            self.request = _require_text(self.request, "request")
        self.context = _optional_text(self.context, "context")
        if self.key_result_range and self.key_result_range[0] > self.key_result_range[1]:
            raise ValueError("`key_result_range` must be [min, max] with min <= max")


class FeedbackIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Annotated[str, Meta(min_length=1, max_length=64, description="The rule code the finding came from.")]
    text: Annotated[str, Meta(min_length=1, max_length=2000, description="The judged text.")]
    span: tuple[Annotated[int, Meta(ge=0)], Annotated[int, Meta(ge=0)]] | None = None
    verdict: Literal["false_positive", "correct"]
    note: Annotated[str, Meta(max_length=1000)] | None = None

    def __post_init__(self) -> None:
        if self.span and not (self.span[0] <= self.span[1] <= len(self.text)):
            raise ValueError("`span` must be [start, end] inside `text`")


# JSON may write one character as "\\ud83d\\ude80" (an escaped surrogate pair): 12 bytes.
_MAX_BYTES_PER_CHARACTER = 12
# Field names, numbers, punctuation and whitespace around the text.
_BODY_OVERHEAD_BYTES = 16_384


def _text_characters(info: msgspec.inspect.Type) -> int:
    """The most characters of text a value of this type can hold."""
    if isinstance(info, msgspec.inspect.Metadata):
        return _text_characters(info.type)
    if isinstance(info, msgspec.inspect.StrType):
        return info.max_length or 0
    if isinstance(info, msgspec.inspect.UnionType):
        return max(_text_characters(t) for t in info.types)
    if isinstance(info, msgspec.inspect.TupleType):
        return sum(_text_characters(t) for t in info.item_types)
    if isinstance(info, (msgspec.inspect.ListType, msgspec.inspect.VarTupleType)):
        return (info.max_length or 1) * _text_characters(info.item_type)
    return 0


def max_body_bytes(body: type[msgspec.Struct]) -> int:
    """The body cap for a JSON route: its text fields full to their character limits, however
    the client escapes them, fit; so the cap never refuses what the field limits allow (a CJK
    request within 2,000 characters), and anything larger is refused before it is decoded."""
    info = msgspec.inspect.type_info(body)
    assert isinstance(info, msgspec.inspect.StructType)
    characters = sum(_text_characters(field.type) for field in info.fields)
    return characters * _MAX_BYTES_PER_CHARACTER + _BODY_OVERHEAD_BYTES


class FeedbackStored(msgspec.Struct, kw_only=True):
    id: int
    code: str
    verdict: str


class RuleFeedback(msgspec.Struct, kw_only=True):
    code: str
    false_positive: int
    correct: int
    total: int
    false_positive_rate: float


class FeedbackSummary(msgspec.Struct, kw_only=True):
    rules: list[RuleFeedback]
    total: int


class PromptInfo(msgspec.Struct, kw_only=True):
    name: str
    version: str
    description: str
    mission: str
    ref: str


class Health(msgspec.Struct, kw_only=True):
    status: Literal["ok"]


class Readiness(msgspec.Struct, kw_only=True):
    status: Literal["ready", "degraded", "unavailable"]
    engine: str
    model: str | None
    prompts: int
    checks: dict[str, str]


class FieldError(msgspec.Struct, kw_only=True):
    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem detail: every error this API returns has this shape."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET
    request_id: str | msgspec.UnsetType = msgspec.UNSET


_PROBLEM_MEANINGS = {
    400: "The body is not valid JSON.",
    401: "A valid API key is required.",
    413: "The request body is too large.",
    415: "Unsupported media type.",
    422: "A field is missing or invalid; `errors` names it.",
    429: "Too many requests; see Retry-After and the RateLimit headers.",
    502: "The model answered with something unusable.",
    503: "The model is unavailable or rate-limiting us, or the database cannot be written; see Retry-After.",
    504: "The model did not answer in time.",
    507: "The service's disk is full; nothing was stored. See Retry-After.",
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem+json errors a route can return."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type="application/problem+json",
            description=_PROBLEM_MEANINGS[status],
            generate_examples=False,
        )
        for status in statuses
    }


CLIENT_ERRORS = (400, 401, 413, 422, 429)
MODEL_ERRORS = (502, 503, 504)


def _struct_classes(root: type[msgspec.Struct] = msgspec.Struct) -> set[type[msgspec.Struct]]:
    found: set[type[msgspec.Struct]] = set()
    for sub in root.__subclasses__():
        found.add(sub)
        found |= _struct_classes(sub)
    return found


def close_strict_objects(openapi: Any) -> None:
    """Say ``additionalProperties: false`` for inputs that reject unknown fields.

    Litestar does not carry msgspec's ``forbid_unknown_fields`` into OpenAPI; without this the
    schema would promise that a typo like ``"candidate": 5`` is accepted.
    """
    strict = {cls.__name__ for cls in _struct_classes() if cls.__struct_config__.forbid_unknown_fields}
    for name, schema in (openapi.components.schemas or {}).items():
        if name in strict:
            schema.additional_properties = False
