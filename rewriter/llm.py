"""The model engine: any OpenAI-compatible chat-completions server through ``AsyncOpenAI``.

Design choices, written down because each is easy to undo by accident:

* **One retry loop, ours.** The SDK's own retries are off (``max_retries=0``); tenacity
  retries 408/409/429/5xx, timeouts and connection errors with jittered exponential
  backoff, honours ``Retry-After``, and stops before the total time budget would be
  exceeded. 400/401/403/404/422 are never retried: asking again cannot fix them.
* **We choose the SDK's HTTP stack** (``build_client``). In production: the SDK's own
  aiohttp transport (``openai[aiohttp]``), sized to our concurrency: per call it costs about
  1 ms less CPU than httpx, and under load the model client is most of the server's CPU.
  openai ≥ 3 sends through httpx2, which respx does not intercept, so the unit tests that
  mock HTTP with respx build the client with ``transport="httpx"`` (a plain
  ``httpx.AsyncClient``); the integration tests drive the production transport against the
  loopback mock server (timeouts, 429s, connections dropped mid-body).
* **Structured output, stepping down.** We ask for ``json_schema``; some compatible
  servers reject it (a llama.cpp-based server answers 500 "JSON schema conversion
  failed") so we fall back to ``json_object``, then plain text, and remember what this
  server accepts for every later call. JSON is extracted tolerantly from the text.
* **One re-ask.** If the reply does not validate, we append the reply and the validation
  error to the conversation and ask once more (as instructor does).
* **The SDK's generic ``post``, msgspec for the reply.** ``chat.completions.create`` runs
  every request through a typed transformer and builds pydantic models of the reply: about
  3 ms of CPU per call on a small machine, more than the rest of the call. ``client.post``
  keeps what we want from the SDK (auth, base URL, timeouts, status errors mapped to
  ``APIStatusError``) and returns the raw ``httpx.Response``; a msgspec struct reads only the
  fields we use and rejects a 200 that is not a chat completion.
* **Usage is summed over every call**, failed or not, so callers see the real bill.
"""

from __future__ import annotations

import email.utils
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
import httpx2
import msgspec
import openai
import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from evaluators import judge_objective
from evaluators.lexicon import LANGUAGE_NAMES
from prompts import PromptLibrary, PromptTemplate
from rewriter.domain import OUTPUT_SCHEMAS, CandidateDraft, EngineInfo, Generation, Mission, RewriteSpec, Usage
from rewriter.errors import UpstreamBadOutput, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable
from rewriter.guard import OutputGuard
from rewriter.timing import waiting_on_model

log = structlog.get_logger("realise.llm")

RESPONSE_FORMATS = ("json_schema", "json_object", "text")
RETRYABLE_STATUS = frozenset({408, 409, 429})
# Wording the instructions ask the model to use verbatim: repeating it is obedience, not a leak.
SANCTIONED_PHRASES = "from a baseline to be measured to a target to be agreed"
# Words a server uses when it rejects the response_format rather than the request.
_FORMAT_REJECTION = re.compile(r"response_format|json_schema|json schema|schema|grammar|structured", re.IGNORECASE)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up. Injected, so tests can make it instant."""

    max_attempts: int = 4
    total_budget: float = 60.0  # seconds across all attempts and waits
    initial_wait: float = 0.5
    max_wait: float = 8.0
    max_retry_after: float = 30.0  # never sleep longer than this on a server's say-so


class _Message(msgspec.Struct):
    content: str | None = None
    refusal: str | None = None


class _Choice(msgspec.Struct):
    message: _Message = msgspec.field(default_factory=_Message)
    finish_reason: str | None = None


class _TokenUsage(msgspec.Struct):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None


class _Completion(msgspec.Struct):
    """The parts of a chat completion we read; other fields are ignored."""

    choices: list[_Choice] | None = None
    usage: _TokenUsage | None = None


_decode_completion = msgspec.json.Decoder(_Completion).decode


class InvalidReply(Exception):
    """The model answered, but the answer is not usable as it stands."""


@dataclass
class _CallLedger:
    usage: Usage = field(default_factory=Usage)
    retries: int = 0


def retry_after_seconds(response: httpx.Response | None) -> float | None:
    """Parse ``Retry-After`` (seconds or an HTTP date); None when absent or unreadable."""
    if response is None:
        return None
    value = response.headers.get("retry-after-ms")
    if value:
        try:
            return max(float(value) / 1000, 0.0)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(parsed.timestamp() - time.time(), 0.0) if parsed else None


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500
    return False


def closed_while_idle(exc: BaseException) -> bool:
    """Whether a call failed because the server had closed the keep-alive connection it was
    sent on (servers drop idle connections after a few seconds, and a pooled one can be picked
    just as that happens). The SDK reports this as a timeout or connection error; the cause
    chain says what it was."""
    seen: BaseException | None = exc
    for _ in range(8):  # cause chains are short; never loop on a cycle
        if seen is None:
            return False
        if isinstance(seen, aiohttp.ServerDisconnectedError):
            return True
        if isinstance(seen, (httpx.RemoteProtocolError, httpx2.RemoteProtocolError)) and "without sending" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def extract_json(text: str) -> str:
    """Find the JSON object in a reply that may wrap it in prose or a code fence."""
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1)
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end <= start:
        raise InvalidReply("the reply contains no JSON object")
    return text[start : end + 1]


def parse_reply(content: str | None, finish_reason: str | None, spec: RewriteSpec, schema: type[msgspec.Struct]) -> list[CandidateDraft]:
    if finish_reason == "length":
        raise InvalidReply("the reply was cut off before it ended (finish_reason=length); answer more briefly")
    if not content or not content.strip():
        raise InvalidReply("the reply was empty")
    try:
        reply = msgspec.json.decode(extract_json(content), type=schema)
    except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
        raise InvalidReply(f"the JSON does not match the schema: {exc}") from exc
    drafts = [c for c in reply.candidates if c.objective.strip() and c.key_results]
    if not drafts:
        raise InvalidReply("the reply has no candidate with an objective and key results")
    for draft in drafts:
        draft.key_results = draft.key_results[: spec.key_results]
    return drafts[: spec.candidates]


def language_name(request: str) -> str:
    """The name of the language a request is written in, for the prompt ("German"); the
    request's own language, unnamed, when the detector cannot tell."""
    code = judge_objective(request).language
    return LANGUAGE_NAMES.get(code, "the same language as the request") if code != "und" else "the same language as the request"


class OpenAIEngine:
    """Candidates from an OpenAI-compatible model."""

    provider = "openai"

    def __init__(
        self,
        *,
        client: openai.AsyncOpenAI,
        model: str,
        library: PromptLibrary,
        retry: RetryPolicy | None = None,
        max_tokens_cap: int | None = None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.client = client
        self.max_tokens_cap = max_tokens_cap
        # Never echoed back to a caller, whatever the model is talked into.
        self.secrets = tuple(s for s in (*secrets, client.api_key) if s and s != "not-needed")
        self.model = model
        self.library = library
        self.retry = retry or RetryPolicy()
        # Index into RESPONSE_FORMATS: remembered so we stop offering what the server refuses.
        self.format_index = 0
        # Called with the server's Retry-After (or None) on every 429, e.g. by the batch runner
        # to lower its concurrency while the provider pushes back.
        self.rate_limit_listeners: list[Callable[[float | None], None]] = []

    def cache_identity(self, mission: Mission) -> str:
        """What else, besides the input, decides the output: provider, model, prompt version."""
        return f"openai:{self.model}:{self.library.for_mission(mission).ref}"

    @property
    def response_format(self) -> str:
        return RESPONSE_FORMATS[self.format_index]

    async def generate(self, spec: RewriteSpec, mission: Mission) -> Generation:
        template = self.library.for_mission(mission)
        schema = OUTPUT_SCHEMAS[template.header.output_schema]
        prompt = template.render(
            request=spec.request, context=spec.context or "", candidates=spec.candidates, key_results=spec.key_results,
            language=language_name(spec.request),
        )
        messages: list[dict[str, Any]] = prompt.messages()
        guard = OutputGuard(instructions=prompt.system, secrets=self.secrets, allowed_text=f"{spec.request}\n{spec.context or ''}\n{SANCTIONED_PHRASES}")

        def usable(content: str | None, finish_reason: str | None) -> list[CandidateDraft]:
            drafts, dropped = guard.screen(parse_reply(content, finish_reason, spec, schema))
            if dropped:
                log.warning("model_reply_leak_dropped", candidates=len(dropped), leaked=sorted(set(dropped)))
            if not drafts:
                raise InvalidReply("every candidate repeated the instructions or a secret; answer only with the rewrite")
            return drafts

        ledger = _CallLedger()
        content, finish_reason = await self._complete(messages, template, schema, ledger)
        try:
            drafts = usable(content, finish_reason)
        except InvalidReply as first_error:
            log.info("model_reply_invalid", error=str(first_error), reask=True)
            messages += [
                {"role": "assistant", "content": content or ""},
                {
                    "role": "user",
                    "content": f"Your reply could not be used: {first_error}. Reply again with only the JSON "
                    "document, matching the schema exactly.",
                },
            ]
            content, finish_reason = await self._complete(messages, template, schema, ledger)
            try:
                drafts = usable(content, finish_reason)
            except InvalidReply as second_error:
                raise UpstreamBadOutput(
                    f"the model's reply was unusable twice: {second_error}", attempts=ledger.usage.calls
                ) from second_error
        return Generation(
            drafts=drafts,
            engine=EngineInfo(provider="openai", model=self.model, prompt=template.ref),
            usage=ledger.usage,
            retries=ledger.retries,
        )

    async def revise(self, spec: RewriteSpec, mission: Mission, rejected: list[tuple[CandidateDraft, list[str]]]) -> Generation:
        """Ask once more, telling the model which of its candidates the evaluators rejected and
        why, so that it can write ones that pass instead of the pipeline dropping them."""
        template = self.library.for_mission(mission)
        schema = OUTPUT_SCHEMAS[template.header.output_schema]
        prompt = template.render(
            request=spec.request, context=spec.context or "", candidates=spec.candidates, key_results=spec.key_results,
            language=language_name(spec.request),
        )
        guard = OutputGuard(instructions=prompt.system, secrets=self.secrets, allowed_text=f"{spec.request}\n{spec.context or ''}\n{SANCTIONED_PHRASES}")
        listed = "\n".join(
            f"{number}. \"{draft.objective}\": " + "; ".join(problems) for number, (draft, problems) in enumerate(rejected, start=1)
        )
        messages: list[dict[str, Any]] = [
            *prompt.messages(),
            {"role": "assistant", "content": msgspec.json.encode({"candidates": [msgspec.to_builtins(d) for d, _ in rejected]}).decode()},
            {
                "role": "user",
                "content": f"The evaluators rejected these candidates:\n{listed}\nWrite {len(rejected)} new candidates that fix "
                "these problems, about the same request. Reply with only the JSON document, matching the schema exactly.",
            },
        ]
        ledger = _CallLedger()
        content, finish_reason = await self._complete(messages, template, schema, ledger)
        try:
            drafts, _ = guard.screen(parse_reply(content, finish_reason, spec, schema))
        except InvalidReply as exc:
            raise UpstreamBadOutput(f"the model's revised reply was unusable: {exc}", attempts=ledger.usage.calls) from exc
        return Generation(
            drafts=drafts, engine=EngineInfo(provider="openai", model=self.model, prompt=template.ref), usage=ledger.usage, retries=ledger.retries
        )

    async def _complete(
        self, messages: list[dict[str, Any]], template: PromptTemplate, schema: type[msgspec.Struct], ledger: _CallLedger
    ) -> tuple[str | None, str | None]:
        retrying = AsyncRetrying(
            retry=retry_if_exception(is_transient),
            wait=self._wait,
            stop=stop_after_attempt(self.retry.max_attempts) | stop_before_delay(self.retry.total_budget),
            reraise=True,
            before_sleep=lambda state: self._note_retry(state, ledger),
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._call_once(messages, template, schema, ledger)
        except openai.APITimeoutError as exc:
            raise UpstreamTimeout("the model did not answer in time", attempts=ledger.usage.calls) from exc
        except openai.APIConnectionError as exc:
            raise UpstreamUnavailable("could not reach the model server", attempts=ledger.usage.calls) from exc
        except openai.APIStatusError as exc:
            if exc.status_code == 429:
                raise UpstreamUnavailable(
                    "the model provider is rate-limiting us",
                    attempts=ledger.usage.calls,
                    retry_after=retry_after_seconds(exc.response),
                ) from exc
            if is_transient(exc):
                raise UpstreamUnavailable(
                    f"the model server kept failing (HTTP {exc.status_code})", attempts=ledger.usage.calls
                ) from exc
            raise UpstreamRejected(
                f"the model provider rejected the request (HTTP {exc.status_code}); check the model name, key and URL",
                attempts=ledger.usage.calls,
            ) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    async def _call_once(
        self, messages: list[dict[str, Any]], template: PromptTemplate, schema: type[msgspec.Struct], ledger: _CallLedger
    ) -> tuple[str | None, str | None]:
        while True:
            fmt = self.response_format
            ledger.usage.calls += 1
            body: dict[str, Any] = {
                "model": self.model,
                "messages": messages,
                "temperature": template.header.model.temperature,
                "max_tokens": min(template.header.model.max_tokens, self.max_tokens_cap or template.header.model.max_tokens),
                **self._format_arguments(fmt, template, schema),
            }
            try:
                with waiting_on_model():
                    # The SDK's generic request path (auth, headers, timeouts, status errors), not
                    # chat.completions.create(): its typed transform of the request and pydantic
                    # model of the reply cost ~3 ms of CPU per call; msgspec decodes the reply.
                    response = await self.client.post("/chat/completions", body=body, cast_to=httpx.Response)
            except openai.APIStatusError as exc:
                if fmt != "text" and self._rejects_format(exc):
                    self.format_index += 1
                    log.warning("response_format_rejected", rejected=fmt, next=self.response_format, status=exc.status_code)
                    continue
                raise
            try:
                completion = _decode_completion(response.content)
            except msgspec.DecodeError as exc:
                # A 200 whose body is not a chat completion: the server is broken, not the reply.
                raise UpstreamBadOutput(
                    f"the model server answered with something that is not a chat completion ({exc})",
                    attempts=ledger.usage.calls,
                ) from exc
            if completion.usage is not None:
                ledger.usage.prompt_tokens += completion.usage.prompt_tokens or 0
                ledger.usage.completion_tokens += completion.usage.completion_tokens or 0
                ledger.usage.total_tokens += completion.usage.total_tokens or 0
            if not completion.choices:
                return None, None
            choice = completion.choices[0]
            if choice.message.refusal:
                raise UpstreamBadOutput(f"the model refused: {choice.message.refusal}", attempts=ledger.usage.calls)
            return choice.message.content, choice.finish_reason

    @staticmethod
    def _rejects_format(exc: openai.APIStatusError) -> bool:
        if exc.status_code in {400, 422}:
            return True
        return exc.status_code >= 500 and bool(_FORMAT_REJECTION.search(str(exc.message) + str(exc.body)))

    @staticmethod
    def _format_arguments(fmt: str, template: PromptTemplate, schema: type[msgspec.Struct]) -> dict[str, Any]:
        if fmt == "json_schema":
            return {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": template.header.output_schema.replace("-", "_"), "schema": json_schema_for(schema)},
                }
            }
        if fmt == "json_object":
            return {"response_format": {"type": "json_object"}}
        return {}

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if state.attempt_number == 1 and exc is not None and closed_while_idle(exc):
            return 0.0  # a stale pooled connection, not a struggling server: no reason to wait
        server_says = retry_after_seconds(getattr(exc, "response", None)) if exc else None
        if server_says is not None:
            return min(server_says, self.retry.max_retry_after)
        return wait_random_exponential(multiplier=self.retry.initial_wait, max=self.retry.max_wait)(state)

    def _note_retry(self, state: RetryCallState, ledger: _CallLedger) -> None:
        ledger.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, openai.RateLimitError):
            for listener in self.rate_limit_listeners:
                listener(retry_after_seconds(exc.response))
        log.info("model_call_retry", attempt=state.attempt_number, wait=round(state.upcoming_sleep, 3), error=type(exc).__name__)


_SCHEMA_CACHE: dict[type, dict[str, Any]] = {}


def json_schema_for(schema: type[msgspec.Struct]) -> dict[str, Any]:
    """Inline JSON Schema (no $ref), which more compatible servers accept."""
    if schema not in _SCHEMA_CACHE:
        raw = msgspec.json.schema(schema)
        _SCHEMA_CACHE[schema] = _inline_refs(raw, raw.get("$defs", {}))
    return _SCHEMA_CACHE[schema]


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline_refs(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    return node


class ShardedTransport(httpx.AsyncBaseTransport):
    """Several small connection pools, used in turn, instead of one big one.

    httpcore checks every pooled connection (idle? expired?) each time it places a request,
    so its CPU cost per call grows with the pool size: under load at 50-100 concurrent model
    calls that bookkeeping was over half the server's CPU. Pools of ~16 keep each scan short.
    """

    def __init__(self, *, max_connections: int, per_shard: int = 16) -> None:
        shards = max(1, -(-max_connections // per_shard))
        size = -(-max_connections // shards)
        self.shards = [
            httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=size, max_keepalive_connections=size))
            for _ in range(shards)
        ]
        self._turn = itertools.cycle(self.shards)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await next(self._turn).handle_async_request(request)

    async def aclose(self) -> None:
        for shard in self.shards:
            await shard.aclose()


HTTP_TRANSPORTS = ("aiohttp", "httpx")


def build_client(
    *,
    api_key: str | None,
    base_url: str | None,
    timeout: float,
    max_connections: int = 100,
    transport: str = "aiohttp",
) -> openai.AsyncOpenAI:
    """The SDK client, with ``max_retries=0`` (tenacity retries) and our choice of HTTP stack.

    ``aiohttp`` (the default): the SDK's own ``DefaultAioHttpClient``, whose transport does
    ~1 ms less CPU per call than httpx's on a small machine. ``httpx``: a plain
    ``httpx.AsyncClient`` over small pools, which respx can intercept (the unit tests' choice).
    """
    if transport == "aiohttp":
        http_client: Any = openai.DefaultAioHttpClient(
            timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )
    elif transport == "httpx":
        http_client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=ShardedTransport(max_connections=max_connections),
        )
    else:
        raise ValueError(f"unknown HTTP transport {transport!r}; expected one of {', '.join(HTTP_TRANSPORTS)}")
    return openai.AsyncOpenAI(
        # Local servers (Ollama, llama.cpp, vLLM) ignore the key but the SDK insists on one.
        api_key=api_key or "not-needed",
        base_url=base_url,
        max_retries=0,
        timeout=timeout,
        http_client=http_client,
    )
