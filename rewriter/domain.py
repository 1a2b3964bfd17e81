"""The pipeline's own types: what goes in, what comes out.

The HTTP layer returns these structs directly; its request DTOs (with field limits) live
in ``api/schemas.py`` and are converted to :class:`RewriteSpec`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
import msgspec.inspect
from msgspec import Meta

from evaluators.model import Evaluation, ObjectiveJudgement

MissionChoice = Literal["auto", "delivery", "discovery"]
Mission = Literal["delivery", "discovery"]

# The limits of one rewrite wherever it arrives (HTTP, a batch item, the CLI, MCP), in
# characters as Python counts them: a CJK request of 2,000 characters is within the limit.
MAX_REQUEST_CHARS = 2000
MAX_CONTEXT_CHARS = 4000

# C0 controls other than tab, line feed and carriage return, and DEL: never part of a request
# anyone typed, and NUL cannot be stored in every database.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def unreadable_text(text: str) -> str | None:
    """Why ``text`` cannot be read as words (a phrase to follow the field's name), or None.

    Text must hold at least one letter or digit in any script: only emoji, zero-width or
    control characters give the engines nothing to read.
    """
    if _CONTROL_CHARACTERS.search(text):
        return "contains control characters (such as NUL); send plain text"
    if not any(character.isalnum() for character in text):
        return "has no letters or digits; write it in words"
    return None


def control_characters(text: str) -> bool:
    """True when ``text`` holds a control character :func:`unreadable_text` refuses."""
    return _CONTROL_CHARACTERS.search(text) is not None


class RewriteOptions(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How a request is rewritten, with the limits and words every way in shares: the HTTP
    bodies, batch options and query parameters, the CLI flags and the MCP tool derive from it."""

    mission: Annotated[
        MissionChoice,
        Meta(description="delivery: outcome objectives with measured key results; discovery: learning objectives "
             "whose key results are research; auto: read from the request."),
    ] = "auto"  # fmt: skip
    candidates: Annotated[int, Meta(ge=1, le=5, description="How many candidate objectives to return.")] = 3
    key_results: Annotated[int, Meta(ge=2, le=5, description="Key results per candidate.")] = 3

    def options(self) -> dict[str, Any]:
        """The rewrite options alone (a subclass's other fields left out), to hand on."""
        return {name: getattr(self, name) for name in RewriteOptions.__struct_fields__}

    @classmethod
    def option(cls, name: str) -> OptionInfo:
        """One option's default, bounds and description, for interfaces that state them themselves."""
        field = next(f for f in msgspec.inspect.type_info(cls).fields if f.name == name)  # type: ignore[attr-defined]
        kind: Any = field.type
        description = (
            (kind.extra_json_schema or {}).get("description", "") if isinstance(kind, msgspec.inspect.Metadata) else ""
        )
        kind = kind.type if isinstance(kind, msgspec.inspect.Metadata) else kind
        return OptionInfo(
            default=field.default,
            low=getattr(kind, "ge", None),
            high=getattr(kind, "le", None),
            description=description,
        )


class OptionInfo(NamedTuple):
    default: Any
    low: int | None
    high: int | None
    description: str


class RewriteSpec(RewriteOptions, frozen=True, kw_only=True):
    """One request to rewrite, with its options: what the pipeline is given."""

    request: str
    context: str | None = None


class KeyResultDraft(msgspec.Struct, kw_only=True):
    """A key result as an engine proposes it. Unknown parts are None, never guessed."""

    text: str
    metric: str | None = None
    baseline: str | None = None
    target: str | None = None
    deadline: str | None = None


class CandidateDraft(msgspec.Struct, kw_only=True):
    """One candidate before judging. Also the shape the model must answer in."""

    objective: str
    problem_statement: str
    hypothesis: str
    key_results: list[KeyResultDraft]


class ModelReply(msgspec.Struct, kw_only=True):
    """The JSON document a model must return (schema ``candidates-v1``)."""

    candidates: list[CandidateDraft]


OUTPUT_SCHEMAS: dict[str, type[ModelReply]] = {"candidates-v1": ModelReply}


class Usage(msgspec.Struct, kw_only=True):
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def add(self, prompt_tokens: int, completion_tokens: int, total_tokens: int | None = None) -> None:
        self.calls += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.total_tokens += total_tokens if total_tokens is not None else prompt_tokens + completion_tokens

    def absorb(self, other: Usage) -> None:
        """Add another bill to this one: calls and tokens alike."""
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.total_tokens += other.total_tokens


class EngineInfo(msgspec.Struct, kw_only=True):
    provider: Literal["openai", "offline"]
    model: str
    prompt: str
    # Set when the configured model failed and the offline engine answered instead.
    fallback_reason: str | None = None


class Generation(msgspec.Struct, kw_only=True):
    """What an engine returns: drafts plus the bill, and what it could not tell."""

    drafts: list[CandidateDraft]
    engine: EngineInfo
    usage: Usage
    retries: int = 0
    # Why the engine wrote fewer candidates than asked, or none (a language it does not write,
    # a request it cannot read); the pipeline adds the reasons it dropped any.
    notice: str | None = None


class Candidate(msgspec.Struct, kw_only=True):
    objective: str
    problem_statement: str
    hypothesis: str
    key_results: list[KeyResultDraft]
    evaluation: Evaluation
    score: float
    rank: int


class RewriteResult(msgspec.Struct, kw_only=True):
    assessment: ObjectiveJudgement
    mission: Mission
    # Only candidates with no error-level finding; fewer than asked, or none, when the engine
    # could not write more that pass (``notice`` says why).
    candidates: list[Candidate]
    engine: EngineInfo
    usage: Usage
    # The next "why?" questions of the 5 Whys, specific to the request: what the engine needs
    # to know to write a better outcome. Answering one adds it to the context.
    questions: list[str] = msgspec.field(default_factory=list)
    # Set when fewer candidates than asked come back, or none: why, in one or two sentences.
    notice: str | None = None
