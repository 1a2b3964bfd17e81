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
* **Structured output, per server, stepping down.** Servers ask for a schema in different
  ways (:data:`PROFILES`): OpenAI's ``json_schema``, llama.cpp's ``json_object`` with a
  ``schema``, vLLM's guided decoding, Ollama's ``format``. The profile is probed once
  (``GET /models`` says who serves) or set (``REALISE_MODEL_PROFILE``). When a server
  rejects a form *for being that form* (its error names the format or schema, and is not a
  content filter's), the request that saw it goes on down the ladder, to plain text at
  worst. The engine remembers the step for every later call only once a second, different
  request was refused the same form with no call answered in that form in between: a
  server that cannot take a form refuses it for everyone, while a refusal one request's
  content provoked must not downgrade everybody's output for good. A step is computed
  from the form that was refused, never from the current position: many calls refused at
  once step down once, not once each. JSON is extracted tolerantly from the text.
* **The configured model is checked** against ``GET /models`` (once, with the probe): some
  servers answer any model name with whatever they have loaded, so a typo would otherwise
  go unnoticed. A model the server does not list is refused (502, naming what it lists)
  unless ``REALISE_MODEL_CHECK=warn`` (logged only) or ``off`` (not asked).
* **A local server is a queue.** A one-at-a-time server (llama.cpp, Ollama on a CPU) keeps
  generating for a call we abandoned; retrying a timed-out call there queues it behind the
  abandoned one. Timeouts waiting for an answer are therefore not retried against a local
  server, and every timeout, like every 429, tells the pushback listeners (the batch
  runner lowers its concurrency).
* **One re-ask.** If the reply does not validate, we append the reply and the validation
  error to the conversation and ask once more (as instructor does).
* **The SDK's generic ``post``, msgspec for the reply.** ``chat.completions.create`` runs
  every request through a typed transformer and builds pydantic models of the reply: about
  3 ms of CPU per call on a small machine, more than the rest of the call. ``client.post``
  keeps what we want from the SDK (auth, base URL, timeouts, status errors mapped to
  ``APIStatusError``) and returns the raw ``httpx.Response``; a msgspec struct reads only the
  fields we use and rejects a 200 that is not a chat completion.
* **Usage is summed over every call**, failed or not, so callers see the real bill: an
  ``UpstreamError`` carries the usage of the calls it gave up on.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import ipaddress
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

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

from evaluators import Finding, judge_objective, judge_relevance
from evaluators.lexicon import LANGUAGE_NAMES
from prompts import PromptLibrary, PromptTemplate, RenderedPrompt
from rewriter.domain import (
    OUTPUT_SCHEMAS,
    CandidateDraft,
    EngineInfo,
    Generation,
    Mission,
    ModelReply,
    RewriteSpec,
    Usage,
)
from rewriter.errors import UpstreamBadOutput, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable
from rewriter.guard import OutputGuard
from rewriter.json_schema import json_schema_for
from rewriter.things import thing_of
from rewriter.timing import waiting_on_model

log = structlog.get_logger("realise.llm")

# Ways of asking for JSON that matches the schema (see OpenAIEngine._format_arguments), and
# the order each kind of server is offered them in. Every ladder ends in plain text, which
# no server rejects; the reply is then found in the text and validated like any other.
STRUCTURED_FORMS = ("json_schema", "json_object_schema", "guided_json", "ollama_format", "json_object", "text")
PROFILES: dict[str, tuple[str, ...]] = {
    # OpenAI, Azure, LM Studio and most others. The second step is for servers that reject
    # json_schema but, like llama.cpp, take a schema with json_object.
    "openai": ("json_schema", "json_object_schema", "json_object", "text"),
    # llama.cpp's server and llama-cpp-python: json_object with a schema is compiled to a
    # grammar; json_schema is answered 500 "JSON schema conversion failed" by some builds.
    "llamacpp": ("json_object_schema", "json_schema", "json_object", "text"),
    # vLLM's guided decoding (``guided_json``); newer vLLM also takes json_schema.
    "vllm": ("guided_json", "json_schema", "json_object", "text"),
    # Ollama: its /v1 endpoint turns json_schema into its ``format`` option; the schema also
    # goes as ``format`` itself, which Ollama's native API reads.
    "ollama": ("ollama_format", "json_object", "text"),
}
MODEL_PROFILES = ("auto", *PROFILES)
MODEL_CHECKS = ("strict", "warn", "off")
RESPONSE_FORMATS = PROFILES["openai"]
PROBE_TIMEOUT = 10.0  # seconds for GET /models: it answers from memory on every server we know
RETRYABLE_STATUS = frozenset({408, 409, 429})
# Wording the instructions ask the model to use verbatim: repeating it is obedience, not a leak.
SANCTIONED_PHRASES = "from a baseline to be measured to a target to be agreed"
# Words a server uses when it rejects the response_format rather than the request. Whole
# words: "format" inside "information" or "platform.openai.com" (in many error messages) is not one.
_FORMAT_REJECTION = re.compile(
    r"response_format|json_schema|json[ _-]?schema|\bschema\b|\bgrammar\b|structured output|guided_json|guided "
    r"decoding|\bformat\b",
    re.IGNORECASE,
)
# Words of a content filter or moderation refusal: about what this request says, never about
# the form it asked for, whatever else the message mentions.
_CONTENT_REFUSAL = re.compile(
    r"content[ _-]?(?:filter|management|policy|moderation)|moderation|safety system|usage polic|flagged|jailbreak|"
    r"prompt[ _-]?shield|responsible ai|invalid_prompt",
    re.IGNORECASE,
)
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
    """What the calls made for one request have cost, and how that request asks for structure."""

    # Which request the calls are for (a digest of its text and context): a format refusal is
    # remembered only when a *different* request sees it too.
    request: str = ""
    usage: Usage = field(default_factory=Usage)
    retries: int = 0
    # Where this request stands on ``ladder`` after refusals it saw itself; the engine's shared
    # position may be higher up (nobody else was refused) or lower (others confirmed a step).
    ladder: tuple[str, ...] = ()
    format_floor: int = 0


def request_digest(spec: RewriteSpec) -> str:
    """Identifies a request by what it says: asking again with the same text is the same request."""
    return hashlib.blake2b(f"{spec.request}\x00{spec.context or ''}".encode(), digest_size=12).hexdigest()


class HasHeaders(Protocol):
    """A response of either client the SDK may use (httpx, httpx2): only its headers are read."""

    @property
    def headers(self) -> Mapping[str, str]: ...


def retry_after_seconds(response: HasHeaders | None) -> float | None:
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


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what caused it, outermost first (the SDK wraps its transport's errors)."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 8:  # cause chains are short; never loop on a cycle
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return chain


def closed_while_idle(exc: BaseException) -> bool:
    """Whether a call failed because the server had closed the keep-alive connection it was
    sent on (servers drop idle connections after a few seconds, and a pooled one can be picked
    just as that happens). The SDK reports this as a timeout or connection error; the cause
    chain says what it was."""
    for seen in _causes(exc):
        if isinstance(seen, aiohttp.ServerDisconnectedError):
            return True
        if isinstance(seen, (httpx.RemoteProtocolError, httpx2.RemoteProtocolError)) and "without sending" in str(seen):
            return True
    return False


_NO_CONNECTION = (
    ConnectionRefusedError,
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx2.ConnectError,
)


def could_not_connect(exc: BaseException) -> bool:
    """Whether no connection to the server could be made (refused, no route, connect timeout).

    The SDK's aiohttp transport reports a refused connection as ``APITimeoutError`` (its
    ``httpx2.ConnectTimeout`` wraps aiohttp's ``ClientConnectorError``): only the cause chain
    tells a server that is not there from one that is slow."""
    if closed_while_idle(exc):
        return False
    return any(isinstance(seen, _NO_CONNECTION) for seen in _causes(exc))


def waited_for_answer(exc: BaseException) -> bool:
    """A timeout after the request was sent: the server has it, and may still be working on it."""
    return isinstance(exc, openai.APITimeoutError) and not could_not_connect(exc) and not closed_while_idle(exc)


def is_local_server(base_url: str | None) -> bool:
    """Loopback, a private address or a bare host name (``ollama`` in a compose file): a server
    of one's own, typically answering one call at a time, rather than a provider's fleet."""
    host = urllib.parse.urlsplit(base_url or "").hostname
    if not host:
        return False
    if host == "localhost" or host.endswith((".local", ".localhost", ".internal", ".lan")) or "." not in host:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def provider_message(exc: openai.APIStatusError) -> str:
    """What the provider said, for the log: the error body's message, else the SDK's."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if isinstance(message, str) and message:
            return message[:500]
    return str(exc.message)[:500]


@dataclass(frozen=True)
class ServerInfo:
    """What ``GET /models`` said: the models served and who serves them (``owned_by``)."""

    models: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    server_header: str = ""
    listed: bool = False  # the server answered with a list (possibly empty)


def detect_profile(info: ServerInfo, base_url: str | None) -> str:
    """The structured-output profile for a server, from what it says about itself."""
    owners = {owner.lower() for owner in info.owners}
    server = info.server_header.lower()
    # llama.cpp's server says owned_by "llamacpp" (and Server: llama.cpp); llama-cpp-python "me".
    if owners & {"llamacpp", "llama.cpp", "me"} or "llama.cpp" in server:
        return "llamacpp"
    if "vllm" in owners:
        return "vllm"
    port = urllib.parse.urlsplit(base_url or "").port
    if owners & {"library", "ollama"} or port == 11434:
        return "ollama"
    return "openai"


def model_listed(model: str, served: tuple[str, ...]) -> bool:
    """Whether ``model`` is among the served ids; Ollama's ``name`` means ``name:latest``."""
    return any(model == served_id or (":" not in model and served_id == f"{model}:latest") for served_id in served)


def extract_json(text: str) -> str:
    """Find the JSON object in a reply that may wrap it in prose or a code fence."""
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1)
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end <= start:
        raise InvalidReply("the reply contains no JSON object")
    return text[start : end + 1]


def parse_reply(
    content: str | None, finish_reason: str | None, spec: RewriteSpec, schema: type[ModelReply]
) -> list[CandidateDraft]:
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
    return (
        LANGUAGE_NAMES.get(code, "the same language as the request")
        if code != "und"
        else "the same language as the request"
    )


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
        profile: str = "auto",
        model_check: str = "strict",
        retry_timeouts: bool | None = None,
    ) -> None:
        if profile not in MODEL_PROFILES:
            raise ValueError(f"unknown model profile {profile!r}; expected one of {', '.join(MODEL_PROFILES)}")
        if model_check not in MODEL_CHECKS:
            raise ValueError(f"unknown model check {model_check!r}; expected one of {', '.join(MODEL_CHECKS)}")
        self.client = client
        self.max_tokens_cap = max_tokens_cap
        # Never echoed back to a caller, whatever the model is talked into.
        self.secrets = tuple(s for s in (*secrets, client.api_key) if s and s != "not-needed")
        self.model = model
        self.library = library
        self.retry = retry or RetryPolicy()
        self.model_check = model_check
        base_url = str(client.base_url)
        # A timed-out call to a local server is still in its queue: asking again queues behind it.
        self.retry_timeouts = not is_local_server(base_url) if retry_timeouts is None else retry_timeouts
        self.profile_setting = profile
        # "auto" starts with OpenAI's ladder until the probe says who serves.
        self.profile = "openai" if profile == "auto" else profile
        self.ladder = PROFILES[self.profile]
        # Index into the ladder: remembered so we stop offering what the server refuses.
        self.format_index = 0
        # A form refused once, for a format reason, and the request that saw it refused: a second,
        # different request refused the same form confirms the step; any call answered in that
        # form clears it. Keyed by form, on this engine's ladder (one engine, one model).
        self._refused_once: dict[str, str] = {}
        self.accepted_format: str | None = None  # the form the server last answered, for the log
        self.server: ServerInfo | None = None  # what GET /models said; None until it answered
        self._probe: asyncio.Task[None] | None = None
        # Called with the server's Retry-After (or None) on every 429 and every timeout waiting
        # for an answer, e.g. by the batch runner to lower its concurrency while the server
        # pushes back or falls behind.
        self.rate_limit_listeners: list[Callable[[float | None], None]] = []

    async def close(self) -> None:
        """Stop a probe still in flight and close the HTTP client (its connection pool)."""
        if self._probe is not None and not self._probe.done():
            self._probe.cancel()
            await asyncio.gather(self._probe, return_exceptions=True)
        await self.client.close()

    def cache_identity(self, mission: Mission) -> str:
        """What else, besides the input, decides the output: provider, model, prompt version."""
        return f"openai:{self.model}:{self.library.for_mission(mission).ref}"

    @property
    def response_format(self) -> str:
        return self.ladder[self.format_index]

    # --- the server: who serves, and does it serve our model --------------------------------

    async def check_server(self) -> ServerInfo | None:
        """Ask ``GET /models`` once (concurrent callers share the one call): the structured-output
        profile when it is "auto", and whether the configured model is served. None while the
        server cannot be reached (asked again next time)."""
        if self.server is not None or (self.profile_setting != "auto" and self.model_check == "off"):
            return self.server  # nothing to learn: the profile is set and the model is not checked
        loop = asyncio.get_running_loop()
        probe = self._probe
        if probe is None or probe.done() or probe.get_loop() is not loop:
            probe = self._probe = loop.create_task(self._ask_server(), name="model server probe")
        await asyncio.shield(probe)
        return self.server

    async def _ask_server(self) -> None:
        try:
            response = await self.client.get("/models", cast_to=httpx.Response, options={"timeout": PROBE_TIMEOUT})
        except openai.APIStatusError as exc:
            # A server without /models (or that wants a key for it): nothing to check against.
            log.info("model_server_lists_no_models", status=exc.status_code, provider_message=provider_message(exc))
            self._learned(ServerInfo(server_header=exc.response.headers.get("server", "")))
            return
        except openai.APIConnectionError as exc:
            log.warning(
                "model_server_unreachable",
                error=type(exc).__name__,
                detail="could not reach the model server" if could_not_connect(exc) else "it did not answer in time",
            )
            return
        try:
            data = msgspec.json.decode(response.content).get("data")
        except (msgspec.DecodeError, AttributeError):
            data = None
        entries = [entry for entry in data if isinstance(entry, dict)] if isinstance(data, list) else []
        self._learned(
            ServerInfo(
                models=tuple(str(entry.get("id")) for entry in entries if entry.get("id")),
                owners=tuple(str(entry["owned_by"]) for entry in entries if entry.get("owned_by")),
                server_header=response.headers.get("server", ""),
                listed=isinstance(data, list),
            )
        )

    def _learned(self, info: ServerInfo) -> None:
        if self.profile_setting == "auto":
            self.profile = detect_profile(info, str(self.client.base_url))
            self.ladder = PROFILES[self.profile]
            self.format_index = 0
            self._refused_once.clear()
        self.server = info
        listed = self.model_served()
        log.info(
            "model_server_checked",
            profile=self.profile,
            profile_from="probe" if self.profile_setting == "auto" else "REALISE_MODEL_PROFILE",
            formats=list(self.ladder),
            models=list(info.models[:10]),
            model=self.model,
            model_served=listed,
        )
        if listed is False:
            log.error(
                "model_not_served",
                model=self.model,
                served=list(info.models[:10]),
                detail=self._not_served_message(),
                refused=self.model_check == "strict",
            )

    def model_served(self) -> bool | None:
        """Whether the server lists the configured model; None when it has not said."""
        if self.server is None or not self.server.models or self.model_check == "off":
            return None
        return model_listed(self.model, self.server.models)

    def _not_served_message(self) -> str:
        served = ", ".join(self.server.models[:5]) if self.server else ""
        return (
            f"the model server does not serve the model {self.model!r} (it lists: {served}); set REALISE_MODEL to "
            "one of them"
        )

    def readiness(self) -> dict[str, str]:
        """For ``/ready``: what is known of the server, without calling it."""
        served = self.model_served()
        if self.server is None:
            model = "unchecked: the model server has not answered yet"
        elif served is None:
            model = "unchecked: the model server lists no models"
        else:
            model = "served" if served else f"not served: {self._not_served_message()}"
        return {"model": model, "model_profile": self.profile, "response_format": self.response_format}

    # --- a rewrite ---------------------------------------------------------------------------

    def _prompt(self, spec: RewriteSpec, mission: Mission) -> tuple[PromptTemplate, type[ModelReply], RenderedPrompt]:
        """The mission's template, the output schema it asks for, and the prompt it renders for ``spec``."""
        template = self.library.for_mission(mission)
        prompt = template.render(
            request=spec.request,
            context=spec.context or "",
            candidates=spec.candidates,
            key_results=spec.key_results,
            language=language_name(spec.request),
        )
        return template, OUTPUT_SCHEMAS[template.header.output_schema], prompt

    async def generate(self, spec: RewriteSpec, mission: Mission) -> Generation:
        await self.check_server()
        if self.model_served() is False and self.model_check == "strict":
            raise UpstreamRejected(self._not_served_message())
        template, schema, prompt = self._prompt(spec, mission)
        messages: list[dict[str, Any]] = prompt.messages()
        guard = OutputGuard(
            instructions=prompt.system,
            secrets=self.secrets,
            allowed_text=f"{spec.request}\n{spec.context or ''}\n{SANCTIONED_PHRASES}",
        )

        def usable(content: str | None, finish_reason: str | None) -> list[CandidateDraft]:
            drafts, dropped = guard.screen(parse_reply(content, finish_reason, spec, schema))
            if dropped:
                log.warning("model_reply_leak_dropped", candidates=len(dropped), leaked=sorted(set(dropped)))
            if not drafts:
                raise InvalidReply(
                    "every candidate repeated the instructions or a secret; answer only with the rewrite"
                )
            return drafts

        ledger = _CallLedger(request=request_digest(spec))
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
                    f"the model's reply was unusable twice: {second_error}",
                    attempts=ledger.usage.calls,
                    usage=ledger.usage,
                ) from second_error
        written = len(drafts)
        drafts, notice = self._on_topic(drafts, spec, template)
        if not notice and written < spec.candidates:
            notice = f"The model wrote {written} of the {spec.candidates} candidates asked for."
        return Generation(
            drafts=drafts,
            engine=EngineInfo(provider="openai", model=self.model, prompt=template.ref),
            usage=ledger.usage,
            retries=ledger.retries,
            notice=notice,
        )

    async def revise(
        self, spec: RewriteSpec, mission: Mission, rejected: list[tuple[CandidateDraft, list[str]]]
    ) -> Generation:
        """Ask once more, telling the model which of its candidates the evaluators rejected and
        why, so that it can write ones that pass instead of the pipeline dropping them."""
        template, schema, prompt = self._prompt(spec, mission)
        guard = OutputGuard(
            instructions=prompt.system,
            secrets=self.secrets,
            allowed_text=f"{spec.request}\n{spec.context or ''}\n{SANCTIONED_PHRASES}",
        )
        listed = "\n".join(
            f'{number}. "{draft.objective}": ' + "; ".join(problems)
            for number, (draft, problems) in enumerate(rejected, start=1)
        )
        messages: list[dict[str, Any]] = [
            *prompt.messages(),
            {
                "role": "assistant",
                "content": msgspec.json.encode({"candidates": [msgspec.to_builtins(d) for d, _ in rejected]}).decode(),
            },
            {
                "role": "user",
                "content": f"The evaluators rejected these candidates:\n{listed}\nWrite {len(rejected)} new "
                "candidates that fix "
                "these problems, about the same request. Reply with only the JSON document, matching the schema "
                "exactly.",
            },
        ]
        ledger = _CallLedger(request=request_digest(spec))
        content, finish_reason = await self._complete(messages, template, schema, ledger)
        try:
            drafts, _ = guard.screen(parse_reply(content, finish_reason, spec, schema))
        except InvalidReply as exc:
            raise UpstreamBadOutput(
                f"the model's revised reply was unusable: {exc}", attempts=ledger.usage.calls, usage=ledger.usage
            ) from exc
        drafts, _ = self._on_topic(drafts, spec, template)
        return Generation(
            drafts=drafts,
            engine=EngineInfo(provider="openai", model=self.model, prompt=template.ref),
            usage=ledger.usage,
            retries=ledger.retries,
        )

    @staticmethod
    def _on_topic(
        drafts: list[CandidateDraft], spec: RewriteSpec, template: PromptTemplate
    ) -> tuple[list[CandidateDraft], str | None]:
        """Drop candidates that are about something else (the prompt's worked example, most
        often, which small models copy); the notice says which and why."""
        thing = thing_of(spec.request)
        related = tuple(t for t in (thing.capability if thing else None,) if t)
        kept: list[CandidateDraft] = []
        dropped: list[tuple[int, Finding]] = []
        for position, draft in enumerate(drafts, start=1):
            finding = judge_relevance(
                spec.request,
                draft.objective,
                [
                    draft.problem_statement,
                    draft.hypothesis,
                    *(kr.text for kr in draft.key_results),
                    *(kr.metric or "" for kr in draft.key_results),
                ],
                context=spec.context,
                related=related,
                examples=template.header.examples,
            )
            if finding is None:
                kept.append(draft)
            else:
                dropped.append((position, finding))
        if not dropped:
            return drafts, None
        log.warning(
            "model_candidates_off_topic", dropped=[(position, f.code) for position, f in dropped], kept=len(kept)
        )
        reasons = " ".join(f"Candidate {position} was dropped ({f.code}): {f.message}" for position, f in dropped)
        asked = (
            f" The model wrote {len(drafts)} of the {spec.candidates} asked for."
            if len(drafts) < spec.candidates
            else ""
        )
        return kept, reasons + asked

    # --- one call, with retries and the format ladder ----------------------------------------

    def _should_retry(self, exc: BaseException) -> bool:
        if not self.retry_timeouts and waited_for_answer(exc):
            return False
        return is_transient(exc)

    def _pushed_back(self, retry_after: float | None) -> None:
        for listener in self.rate_limit_listeners:
            listener(retry_after)

    async def _complete(
        self, messages: list[dict[str, Any]], template: PromptTemplate, schema: type[ModelReply], ledger: _CallLedger
    ) -> tuple[str | None, str | None]:
        retrying = AsyncRetrying(
            retry=retry_if_exception(self._should_retry),
            wait=self._wait,
            stop=stop_after_attempt(self.retry.max_attempts) | stop_before_delay(self.retry.total_budget),
            reraise=True,
            before_sleep=lambda state: self._note_retry(state, ledger),
        )
        try:
            async for attempt in retrying:
                with attempt:
                    try:
                        return await self._call_once(messages, template, schema, ledger)
                    except openai.RateLimitError as exc:
                        self._pushed_back(retry_after_seconds(exc.response))
                        raise
                    except openai.APITimeoutError as exc:
                        if waited_for_answer(exc):
                            self._pushed_back(None)
                        raise
        except openai.APIConnectionError as exc:  # includes APITimeoutError
            if could_not_connect(exc):
                log.warning("model_call_failed", error="could not connect", attempts=ledger.usage.calls)
                raise UpstreamUnavailable(
                    "could not reach the model server", attempts=ledger.usage.calls, usage=ledger.usage
                ) from exc
            if isinstance(exc, openai.APITimeoutError):
                log.warning(
                    "model_call_failed", error="timeout", attempts=ledger.usage.calls, retried=self.retry_timeouts
                )
                raise UpstreamTimeout(
                    "the model did not answer in time", attempts=ledger.usage.calls, usage=ledger.usage
                ) from exc
            log.warning("model_call_failed", error="connection", attempts=ledger.usage.calls)
            raise UpstreamUnavailable(
                "could not reach the model server", attempts=ledger.usage.calls, usage=ledger.usage
            ) from exc
        except openai.APIStatusError as exc:
            log.warning(
                "model_call_failed",
                status=exc.status_code,
                provider_message=provider_message(exc),
                attempts=ledger.usage.calls,
            )
            if exc.status_code == 429:
                raise UpstreamUnavailable(
                    "the model provider is rate-limiting us",
                    attempts=ledger.usage.calls,
                    retry_after=retry_after_seconds(exc.response),
                    usage=ledger.usage,
                ) from exc
            if is_transient(exc):
                raise UpstreamUnavailable(
                    f"the model server kept failing (HTTP {exc.status_code}: {provider_message(exc)[:200]})",
                    attempts=ledger.usage.calls,
                    usage=ledger.usage,
                ) from exc
            said = provider_message(exc)[:200]
            # A content filter refused what this request says: the configuration is not at fault.
            advice = (
                "rephrase the request"
                if _CONTENT_REFUSAL.search(str(exc.message) + str(exc.body))
                else "check the model name, key and URL"
            )
            raise UpstreamRejected(
                f"the model provider rejected the request (HTTP {exc.status_code}: {said}); {advice}",
                attempts=ledger.usage.calls,
                usage=ledger.usage,
            ) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    async def _call_once(
        self, messages: list[dict[str, Any]], template: PromptTemplate, schema: type[ModelReply], ledger: _CallLedger
    ) -> tuple[str | None, str | None]:
        while True:
            ladder = self.ladder
            # The lower of the engine's remembered form and the one this request stepped down to.
            position = max(self.format_index, ledger.format_floor if ledger.ladder is ladder else 0)
            fmt = ladder[position]
            ledger.usage.calls += 1
            body: dict[str, Any] = {
                "model": self.model,
                "messages": messages,
                "temperature": template.header.model.temperature,
                "max_tokens": min(
                    template.header.model.max_tokens, self.max_tokens_cap or template.header.model.max_tokens
                ),
                **self._format_arguments(fmt, template, schema),
            }
            try:
                with waiting_on_model():
                    # The SDK's generic request path (auth, headers, timeouts, status errors), not
                    # chat.completions.create(): msgspec decodes the reply, not the SDK's pydantic
                    # models (docs/performance.md says why).
                    response = await self.client.post("/chat/completions", body=body, cast_to=httpx.Response)
            except openai.APIStatusError as exc:
                if position + 1 < len(ladder) and self._rejects_format(exc):
                    # This request goes on with the next form at once; the engine steps down for
                    # everyone only when _format_refused says the refusal is the server's rule.
                    ledger.ladder, ledger.format_floor = ladder, position + 1
                    self._format_refused(ladder, position, ledger.request, exc)
                    continue
                raise
            try:
                completion = _decode_completion(response.content)
            except msgspec.DecodeError as exc:
                # A 200 whose body is not a chat completion: the server is broken, not the reply.
                raise UpstreamBadOutput(
                    f"the model server answered with something that is not a chat completion ({exc})",
                    attempts=ledger.usage.calls,
                    usage=ledger.usage,
                    provider_fault=True,
                ) from exc
            if completion.usage is not None:
                ledger.usage.prompt_tokens += completion.usage.prompt_tokens or 0
                ledger.usage.completion_tokens += completion.usage.completion_tokens or 0
                ledger.usage.total_tokens += completion.usage.total_tokens or 0
            # The server answered in this form, so an earlier refusal of it was about that request.
            self._refused_once.pop(fmt, None)
            if fmt != self.accepted_format:
                self.accepted_format = fmt
                log.info("response_format_accepted", format=fmt, profile=self.profile, model=self.model)
            if not completion.choices:
                return None, None
            choice = completion.choices[0]
            if choice.message.refusal:
                raise UpstreamBadOutput(
                    f"the model refused: {choice.message.refusal}", attempts=ledger.usage.calls, usage=ledger.usage
                )
            return choice.message.content, choice.finish_reason

    def _format_refused(self, ladder: tuple[str, ...], rejected: int, request: str, exc: openai.APIStatusError) -> None:
        """The server refused ``ladder[rejected]`` for ``request``, naming the format. Offer the next
        form to every later call only if a different request was refused the same form before,
        with no call answered in it since (a server that cannot take a form refuses everyone; a
        refusal one request provoked does not recur for others). Computed from the refused
        position, so calls refused together step down once, and a call that carried an older
        ladder (from before the probe) changes nothing."""
        if ladder is not self.ladder or self.format_index > rejected:
            return
        form = ladder[rejected]
        first = self._refused_once.setdefault(form, request)
        remembered = first != request
        if remembered:
            del self._refused_once[form]
            self.format_index = rejected + 1
        log.warning(
            "response_format_rejected",
            rejected=form,
            next=ladder[rejected + 1],
            remembered=remembered,  # False: only this request steps down, until another is refused too
            status=exc.status_code,
            provider_message=provider_message(exc),
        )

    @staticmethod
    def _rejects_format(exc: openai.APIStatusError) -> bool:
        """Whether the server refused the form we asked for, not the request: its error names the
        format or schema (a bare 400 with no message may be one too). A content filter's refusal
        never is, whatever else it says: stepping down cannot get filtered content through."""
        said = str(exc.message) + str(exc.body)
        if _CONTENT_REFUSAL.search(said):
            return False
        if exc.status_code in {400, 422}:
            return bool(_FORMAT_REJECTION.search(said)) or not provider_message(exc).strip()
        return exc.status_code >= 500 and bool(_FORMAT_REJECTION.search(said))

    @staticmethod
    def _format_arguments(fmt: str, template: PromptTemplate, schema: type[msgspec.Struct]) -> dict[str, Any]:
        name = template.header.output_schema.replace("-", "_")
        if fmt == "json_schema":
            return {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": name, "schema": json_schema_for(schema)},
                }
            }
        if fmt == "json_object_schema":
            return {"response_format": {"type": "json_object", "schema": json_schema_for(schema)}}
        if fmt == "guided_json":
            return {"guided_json": json_schema_for(schema)}
        if fmt == "ollama_format":
            return {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": name, "schema": json_schema_for(schema)},
                },
                "format": json_schema_for(schema),
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
        log.info(
            "model_call_retry",
            attempt=state.attempt_number,
            wait=round(state.upcoming_sleep, 3),
            error=type(exc).__name__,
        )


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
    less CPU per call than httpx's (docs/performance.md). ``httpx``: a plain ``httpx.AsyncClient``,
    which respx can intercept (the unit tests' choice).
    """
    if transport == "aiohttp":
        http_client: Any = openai.DefaultAioHttpClient(
            timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )
    elif transport == "httpx":
        http_client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
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
