"""A mock OpenAI-compatible chat-completions server for integration tests and benchmarks.

Run it as ``python tests/support/mock_openai.py --port 0 --port-file PATH``; see ``--help``.
It is test and benchmark support, not part of the installed package: it imports only
third-party libraries, so it runs from its file path in any environment that has them.

It is a raw ASGI app (no framework) so that a single process on a small machine can hold
hundreds of concurrent, deliberately slow requests. Besides ``/v1/chat/completions`` and
``/v1/models`` it exposes a small control API over HTTP, because the tests drive a real
server process rather than an in-process app:

``POST /_control/script``  ``{"responses": [entry, ...]}`` appends entries to a FIFO queue;
    each chat request consumes one. Entry keys (all optional):
    ``status`` (default 200), ``headers``, ``delay`` (seconds, default: ``--latency``),
    ``body`` (sent as-is: a string verbatim, anything else as JSON),
    ``content`` / ``finish_reason`` (build a normal completion around that assistant content),
    ``drop_connection`` (send headers and half the body, then close the connection).
    An error status without ``body`` gets an OpenAI-style error body.
``POST /_control/mode``    ``{"mode": "default" | "echo"}``; echo copies the raw request text
    into the objective, problem statement and hypothesis (for prompt-injection tests).
``POST /_control/rules``   ``{"rules": [rule, ...]}`` replaces the standing rules: faults tied
    to what a request says rather than to its turn, so that concurrent callers (a batch, a
    second user) each meet their own. The first rule whose ``contains`` is in the request
    text decides: ``status`` (an error status, with ``message`` and ``code`` in an
    OpenAI-style body), or ``echo`` (answer that request as echo mode would). ``times``, if
    given, limits a rule to the first N calls for each distinct request text (a transient
    fault that a retry gets past); without it the rule holds for every call.
``POST /_control/reset``   clears stats, script, rules and mode, and reseeds the RNG.
``GET  /_stats``           ``{"calls", "rejected", "requests": [...]}``; ``rejected`` counts
    chat requests answered with an HTTP error status, whatever the cause. Each request records
    its ``request_text``, ``context``, ``response_format`` type, whether a ``schema`` came and
    whether it was a ``followup`` (a re-ask after the model's own answer).

Scripted entries bypass the rules, ``--reject-rate`` and ``--reject-json-schema``: a test
that scripts a response wants exactly that response. Rules bypass the last two likewise.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import random
import re
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

MODEL_ID = "mock-model"
MODES = ("default", "echo")
KEY_RESULTS_PER_CANDIDATE = 3

_SCRIPT_ENTRY_KEYS = {"status", "body", "headers", "delay", "content", "finish_reason", "drop_connection"}
_RULE_KEYS = {"contains", "status", "message", "code", "echo", "times"}
_DROPPED_RESPONSE_LOG = "ASGI callable returned without completing response."

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class MockSettings:
    latency: float = 0.0
    reject_rate: float = 0.0
    retry_after: float = 1.0
    reject_json_schema: bool = False
    seed: int = 0


class _ClientError(Exception):
    """A malformed request to the mock; answered with 400 and an OpenAI-style error."""


# --- building the default answer -------------------------------------------------------------

# Words that open a request but say nothing about its subject ("We need to build a ...").
_LEADING_FILLER = {
    "please",
    "we",
    "i",
    "you",
    "need",
    "needs",
    "want",
    "wants",
    "would",
    "like",
    "to",
    "should",
    "must",
    "can",
    "could",
    "let's",
    "lets",
    "add",
    "build",
    "create",
    "make",
    "write",
    "launch",
    "ship",
    "implement",
    "develop",
    "design",
    "deliver",
    "produce",
    "introduce",
    "deploy",
    "publish",
    "release",
    "update",
    "migrate",
    "redesign",
    "rewrite",
    "improve",
    "set",
    "up",
    "get",
    "do",
    "roll",
    "out",
}
_LEADING_DETERMINERS = {"a", "an", "the", "our", "some", "new", "my", "their"}
_TOPIC_MAX_WORDS = 6


def message_text(message: dict[str, Any]) -> str:
    """The text of a chat message whose content is a string or a list of content parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def _between(text: str, opening: str, closing: str, start: int = 0) -> tuple[str, int] | None:
    """Text from the first ``opening`` at or after ``start`` to the last ``closing``, and its end.

    Matching to the last closing tag means a block that itself contains the closing tag is
    returned whole, as a naive model would read it. The newlines realise puts just inside the
    tags are not part of the text.
    """
    begin = text.find(opening, start)
    end = text.rfind(closing)
    if begin == -1 or end < begin:
        return None
    inner = text[begin + len(opening) : end]
    inner = inner.removeprefix("\n").removesuffix("\n")
    return inner, end + len(closing)


def extract_request(messages: list[dict[str, Any]]) -> tuple[str, str | None]:
    """The user's request and optional context from the last user message that delimits one
    (a re-ask follows it with feedback, not a new request).

    Without ``<request>`` tags anywhere the last user message counts as the request.
    """
    user_messages = [message for message in messages if message.get("role") == "user"]
    if not user_messages:
        return "", None
    tagged = [m for m in user_messages if _between(message_text(m), "<request>", "</request>") is not None]
    text = message_text((tagged or user_messages)[-1])
    request = _between(text, "<request>", "</request>")
    if request is None:
        return text.strip(), None
    request_text, request_end = request
    context = _between(text, "<context>", "</context>", request_end)
    return request_text, context[0] if context else None


def topic_of(request_text: str) -> str:
    """A short noun phrase naming what the request is about, e.g. "the dashboard for the sales team".

    Tokens containing digits are dropped because the topic is repeated in key results, and
    realise flags numbers in key results that the user never gave.
    """
    first_sentence = re.split(r"[.!?;:\n]", request_text.strip(), maxsplit=1)[0]
    words = [word.strip("\"'()[]{},") for word in first_sentence.split()]
    words = [word for word in words if word and not any(char.isdigit() for char in word)]
    while words and words[0].lower() in _LEADING_FILLER:
        words.pop(0)
    while words and words[0].lower() in _LEADING_DETERMINERS:
        words.pop(0)
    words = words[:_TOPIC_MAX_WORDS]
    if not words:
        return "the service"
    if not words[0].isupper():  # keep acronyms such as "API" as written
        words[0] = words[0].lower()
    return "the " + " ".join(words)


_MOVE = "from a baseline to be measured to a target to be agreed by the end of the quarter"
_KEY_RESULT_TEMPLATES = (
    (
        "Share of people who finish their task with {topic} without help rises " + _MOVE,
        "share of people finishing their task with {topic} unaided",
    ),
    (
        "Time people need to get a useful result from {topic} falls " + _MOVE,
        "median time to a useful result from {topic}",
    ),
    (
        "Share of people who come back to {topic} within a month rises " + _MOVE,
        "monthly returning share of people using {topic}",
    ),
    (
        "Support requests about {topic} fall " + _MOVE,
        "weekly support requests about {topic}",
    ),
    (
        "Share of people who say {topic} helped them reach their goal rises " + _MOVE,
        "share of surveyed people saying {topic} helped",
    ),
)
_CANDIDATE_TEMPLATES = (
    (
        "Make {topic} easier to rely on for the people who use it",
        "People who depend on {topic} struggle to get the result they need, and nobody can yet "
        "show whether that is improving.",
        "If we find and remove the main obstacles people meet with {topic}, more of them will "
        "reach their goal without help.",
    ),
    (
        "Help people get what they came for from {topic} with less effort",
        "Getting a useful result from {topic} takes more time and effort than people expect, so "
        "many give up or ask for help.",
        "If we shorten the path to a useful result in {topic}, people will come back to it more "
        "often and need less support.",
    ),
    (
        "Make {topic} a difference that the people it serves can notice",
        "Work on {topic} is judged by what gets shipped rather than by what changes for the people it serves.",
        "If we steer {topic} by the change people report rather than by output, the work will "
        "concentrate on what actually helps them.",
    ),
)


_ASKS_FOR_INSTRUCTIONS = re.compile(
    r"system prompt|instructions|everything above|your prompt|initial prompt", re.IGNORECASE
)


def build_candidates(request_text: str, *, echo: bool, system_text: str = "") -> dict[str, Any]:
    """realise's output schema, filled deterministically from the request: one candidate per
    template, each with ``KEY_RESULTS_PER_CANDIDATE`` key results and no numbers in them.

    In echo mode the mock is a naive model that obeys whatever the request says: it copies the
    request into the text fields, and when asked for its instructions it prints them.
    """
    if echo and _ASKS_FOR_INSTRUCTIONS.search(request_text) and system_text:
        request_text = f"{request_text}\n{system_text}"
    topic = topic_of(request_text)
    candidates = []
    for index, (objective, problem, hypothesis) in enumerate(_CANDIDATE_TEMPLATES):
        key_results = []
        for offset in range(KEY_RESULTS_PER_CANDIDATE):
            text, metric = _KEY_RESULT_TEMPLATES[(index + offset) % len(_KEY_RESULT_TEMPLATES)]
            key_results.append(
                {
                    "text": text.format(topic=topic),
                    "metric": metric.format(topic=topic),
                    "baseline": None,
                    "target": None,
                    "deadline": "end of the quarter",
                }
            )
        candidates.append(
            {
                "objective": request_text if echo else objective.format(topic=topic),
                "problem_statement": request_text if echo else problem.format(topic=topic),
                "hypothesis": request_text if echo else hypothesis.format(topic=topic),
                "key_results": key_results,
            }
        )
    return {"candidates": candidates}


def _carries_schema(request: dict[str, Any]) -> bool:
    response_format = request.get("response_format")
    if isinstance(response_format, dict) and (
        isinstance(response_format.get("schema"), dict)
        or isinstance((response_format.get("json_schema") or {}).get("schema"), dict)
    ):
        return True
    return isinstance(request.get("guided_json"), dict) or isinstance(request.get("format"), dict)


def _word_count(text: str) -> int:
    return len(text.split())


def error_body(status: int, message: str, *, code: str | int | None = None) -> dict[str, Any]:
    if status == 429:
        error_type = "requests"
    elif status >= 500:
        error_type = "server_error"
    else:
        error_type = "invalid_request_error"
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


def _format_seconds(seconds: float) -> str:
    return f"{seconds:g}"  # "1", not "1.0": some clients only accept integer Retry-After


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _send(send: Send, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status, "headers": _header_list(headers, body)})
    await send({"type": "http.response.body", "body": body})


def _header_list(headers: dict[str, str] | None, body: bytes) -> list[tuple[bytes, bytes]]:
    merged = {"content-type": "application/json"}
    merged.update({name.lower(): str(value) for name, value in (headers or {}).items()})
    merged["content-length"] = str(len(body))
    return [(name.encode(), value.encode()) for name, value in merged.items()]


def _parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except json.JSONDecodeError as exc:
        raise _ClientError(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise _ClientError("request body must be a JSON object")
    return parsed


def _validate_script(payload: dict[str, Any]) -> list[dict[str, Any]]:
    responses = payload.get("responses")
    if not isinstance(responses, list):
        raise _ClientError('"responses" must be a list')
    for position, entry in enumerate(responses):
        if not isinstance(entry, dict):
            raise _ClientError(f"responses[{position}] must be an object")
        unknown = set(entry) - _SCRIPT_ENTRY_KEYS
        if unknown:
            raise _ClientError(f"responses[{position}] has unknown keys {sorted(unknown)}")
        if not isinstance(entry.get("status", 200), int):
            raise _ClientError(f"responses[{position}].status must be an integer")
        delay = entry.get("delay", 0)
        if not isinstance(delay, (int, float)) or delay < 0:
            raise _ClientError(f"responses[{position}].delay must be a non-negative number of seconds")
        if not isinstance(entry.get("content", ""), str):
            raise _ClientError(f"responses[{position}].content must be a string")
        if not isinstance(entry.get("headers", {}), dict):
            raise _ClientError(f"responses[{position}].headers must be an object")
        if "body" in entry and ("content" in entry or "finish_reason" in entry):
            raise _ClientError(f"responses[{position}] sets both a raw body and completion fields")
        if entry.get("status", 200) >= 400 and ("content" in entry or "finish_reason" in entry):
            raise _ClientError(f"responses[{position}] is an error status with completion fields")
    return responses


def _validate_rules(payload: dict[str, Any]) -> list[dict[str, Any]]:
    rules = payload.get("rules")
    if not isinstance(rules, list):
        raise _ClientError('"rules" must be a list')
    for position, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise _ClientError(f"rules[{position}] must be an object")
        unknown = set(rule) - _RULE_KEYS
        if unknown:
            raise _ClientError(f"rules[{position}] has unknown keys {sorted(unknown)}")
        if not isinstance(rule.get("contains"), str) or not rule["contains"]:
            raise _ClientError(f"rules[{position}].contains must be a non-empty string")
        status, echo = rule.get("status"), rule.get("echo", False)
        if (status is None) == (not echo):
            raise _ClientError(f"rules[{position}] must set exactly one of an error status and echo")
        if status is not None and (not isinstance(status, int) or status < 400):
            raise _ClientError(f"rules[{position}].status must be an error status (400 or more)")
        times = rule.get("times")
        if times is not None and (not isinstance(times, int) or times < 1):
            raise _ClientError(f"rules[{position}].times must be a positive integer")
    return rules


# --- the ASGI app ----------------------------------------------------------------------------


class MockOpenAI:
    """ASGI app; all state lives here, so each server process is one independent mock."""

    def __init__(self, settings: MockSettings) -> None:
        self.settings = settings
        self._routes: dict[tuple[str, str], Callable[[bytes, Send], Awaitable[None]]] = {
            ("POST", "/v1/chat/completions"): self._chat_completions,
            ("GET", "/v1/models"): self._models,
            ("GET", "/health"): self._health,
            ("GET", "/_stats"): self._stats,
            ("POST", "/_control/script"): self._control_script,
            ("POST", "/_control/mode"): self._control_mode,
            ("POST", "/_control/rules"): self._control_rules,
            ("POST", "/_control/reset"): self._control_reset,
        }
        self._in_flight = 0
        self._reset()

    def _reset(self) -> None:
        self._rng = random.Random(self.settings.seed)
        self._completion_numbers = itertools.count(1)
        self._script: deque[dict[str, Any]] = deque()
        self._mode = "default"
        self._rules: list[dict[str, Any]] = []
        self._rule_hits: dict[tuple[int, str], int] = {}  # (rule, request text) -> calls it answered
        self._calls = 0
        self._rejected = 0
        self._requests: list[dict[str, Any]] = []
        self._max_in_flight = self._in_flight  # calls still being answered stay counted

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        handler = self._routes.get((scope["method"], scope["path"]))
        if handler is None:
            known_path = any(path == scope["path"] for _, path in self._routes)
            status = 405 if known_path else 404
            await _send(send, status, error_body(status, f"no route for {scope['method']} {scope['path']}"))
            return
        body = await _read_body(receive)
        try:
            await handler(body, send)
        except _ClientError as exc:
            await _send(send, 400, error_body(400, str(exc)))

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _chat_completions(self, body: bytes, send: Send) -> None:
        """Counts the calls being answered at once (``in_flight``, ``max_in_flight`` in /_stats): what
        a provider's concurrency limit counts, from receiving a call to sending its answer."""
        self._in_flight += 1
        self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            await self._answer_chat(body, send)
        finally:
            self._in_flight -= 1

    async def _answer_chat(self, body: bytes, send: Send) -> None:
        received = time.monotonic()
        request = _parse_json_object(body)
        messages = request.get("messages")
        if not isinstance(messages, list) or not all(isinstance(message, dict) for message in messages):
            raise _ClientError('"messages" must be a list of objects')
        if request.get("stream"):
            raise _ClientError("the mock does not support streaming")
        request_text, context = extract_request(messages)
        response_format = request.get("response_format")
        response_format_type = response_format.get("type") if isinstance(response_format, dict) else None
        self._calls += 1
        self._requests.append(
            {
                "request_text": request_text,
                "context": context,
                "response_format": response_format_type,
                # A conversation that already holds the model's answer: a re-ask, not a new request.
                "followup": any(message.get("role") == "assistant" for message in messages),
                # Whether a JSON Schema came with it, in any of the forms servers take.
                "schema": _carries_schema(request),
                "t": time.monotonic(),
            }
        )

        if self._script:
            await self._play_scripted(self._script.popleft(), request, request_text, send)
            return
        # Like the refusals below, a rule's error comes before any work, without the latency.
        rule = self._rule_for(request_text)
        if rule is not None and rule.get("status"):
            status = rule["status"]
            self._rejected += 1
            message = rule.get("message") or f"rule {status} response"
            await _send(send, status, error_body(status, message, code=rule.get("code")))
            return
        echo = self._mode == "echo" or rule is not None  # a rule without a status is an echo rule
        # Real servers refuse these before doing any work, so neither waits for the latency.
        if self.settings.reject_rate and self._rng.random() < self.settings.reject_rate:
            self._rejected += 1
            retry_after = _format_seconds(self.settings.retry_after)
            message = f"Rate limit reached for requests. Please try again in {retry_after}s."
            error = error_body(429, message, code="rate_limit_exceeded")
            await _send(send, 429, error, {"retry-after": retry_after})
            return
        if self.settings.reject_json_schema and response_format_type == "json_schema":
            # The exact shape a llama.cpp-based server returns when it cannot compile a schema.
            self._rejected += 1
            message = "JSON schema conversion failed: unsupported schema construct"
            await _send(send, 500, {"error": {"code": 500, "message": message, "type": "server_error"}})
            return
        system_text = next((str(m.get("content", "")) for m in messages if m.get("role") == "system"), "")
        content = json.dumps(build_candidates(request_text, echo=echo, system_text=system_text))
        payload = json.dumps(self._completion(request, content, "stop")).encode()
        # The latency is the time to answer: the mock's own work counts against it, so a burst
        # of calls is not answered later than the latency promises (as long as the CPU keeps up).
        await asyncio.sleep(max(0.0, self.settings.latency - (time.monotonic() - received)))
        await _send(send, 200, payload)

    def _rule_for(self, request_text: str) -> dict[str, Any] | None:
        """The first standing rule for this request text that has calls left, counting this one."""
        for index, rule in enumerate(self._rules):
            if rule["contains"] not in request_text:
                continue
            hits = self._rule_hits.get((index, request_text), 0)
            if rule.get("times") is not None and hits >= rule["times"]:
                continue
            self._rule_hits[(index, request_text)] = hits + 1
            return rule
        return None

    async def _play_scripted(
        self, entry: dict[str, Any], request: dict[str, Any], request_text: str, send: Send
    ) -> None:
        await asyncio.sleep(entry.get("delay", self.settings.latency))
        status = entry.get("status", 200)
        if "body" in entry:
            raw = entry["body"]
            payload = raw.encode() if isinstance(raw, str) else json.dumps(raw).encode()
        elif status < 400:
            content = entry.get("content")
            if content is None:
                content = json.dumps(build_candidates(request_text, echo=self._mode == "echo"))
            payload = json.dumps(self._completion(request, content, entry.get("finish_reason", "stop"))).encode()
        else:
            payload = json.dumps(error_body(status, f"scripted {status} response", code=status)).encode()

        if entry.get("drop_connection"):
            # Promise the full length, deliver half and return: uvicorn then closes the socket,
            # which the client sees as a connection error while reading the body.
            headers = _header_list(entry.get("headers"), payload)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload[: len(payload) // 2], "more_body": True})
            return
        if status >= 400:
            self._rejected += 1
        await _send(send, status, payload, entry.get("headers"))

    def _completion(self, request: dict[str, Any], content: str, finish_reason: str) -> dict[str, Any]:
        prompt_tokens = sum(_word_count(message_text(message)) for message in request["messages"])
        completion_tokens = _word_count(content)
        return {
            "id": f"chatcmpl-mock-{next(self._completion_numbers)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model") or MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    async def _models(self, body: bytes, send: Send) -> None:
        await _send(send, 200, {"object": "list", "data": [{"id": MODEL_ID, "object": "model"}]})

    async def _health(self, body: bytes, send: Send) -> None:
        await _send(send, 200, {"status": "ok"})

    async def _stats(self, body: bytes, send: Send) -> None:
        await _send(
            send, 200,
            {"calls": self._calls, "rejected": self._rejected, "in_flight": self._in_flight,
             "max_in_flight": self._max_in_flight, "requests": self._requests},
        )  # fmt: skip

    async def _control_script(self, body: bytes, send: Send) -> None:
        self._script.extend(_validate_script(_parse_json_object(body)))
        await _send(send, 200, {"queued": len(self._script)})

    async def _control_rules(self, body: bytes, send: Send) -> None:
        self._rules = _validate_rules(_parse_json_object(body))
        self._rule_hits.clear()
        await _send(send, 200, {"rules": len(self._rules)})

    async def _control_mode(self, body: bytes, send: Send) -> None:
        mode = _parse_json_object(body).get("mode")
        if mode not in MODES:
            raise _ClientError(f'"mode" must be one of {list(MODES)}')
        self._mode = mode
        await _send(send, 200, {"mode": mode})

    async def _control_reset(self, body: bytes, send: Send) -> None:
        self._reset()
        await _send(send, 200, {"reset": True})


# --- process entry point ---------------------------------------------------------------------


class _HideIntentionalDrops(logging.Filter):
    """uvicorn logs an error for every response we cut short on purpose; that is noise here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _DROPPED_RESPONSE_LOG


class _PortReportingServer(uvicorn.Server):
    """Writes the port it actually listens on, so ``--port 0`` can be used by a parent process."""

    def __init__(self, config: uvicorn.Config, port_file: Path | None) -> None:
        super().__init__(config)
        self._port_file = port_file

    async def startup(self, sockets: list[Any] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.started:
            return
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        print(f"mock OpenAI server listening on http://{host}:{port}/v1", file=sys.stderr, flush=True)
        if self._port_file is not None:
            # Write then rename, so a polling parent never reads a half-written port.
            partial = self._port_file.with_name(self._port_file.name + ".partial")
            partial.write_text(str(port))
            os.replace(partial, self._port_file)


def _probability(value: str) -> float:
    probability = float(value)
    if not 0.0 <= probability <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return probability


def _non_negative(value: str) -> float:
    seconds = float(value)
    if seconds < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return seconds


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python tests/support/mock_openai.py",
        description="Mock OpenAI-compatible chat-completions server for tests and benchmarks.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument("--port-file", type=Path, help="write the bound port here once listening")
    parser.add_argument("--latency", type=_non_negative, default=0.0, help="seconds to wait before answering")
    parser.add_argument("--reject-rate", type=_probability, default=0.0, help="fraction of requests answered 429")
    parser.add_argument("--retry-after", type=_non_negative, default=1.0, help="Retry-After seconds on 429")
    parser.add_argument(
        "--reject-json-schema",
        action="store_true",
        help='answer 500 to response_format {"type": "json_schema"}, like llama.cpp-based servers',
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for the rejection RNG")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    settings = MockSettings(
        latency=args.latency,
        reject_rate=args.reject_rate,
        retry_after=args.retry_after,
        reject_json_schema=args.reject_json_schema,
        seed=args.seed,
    )
    config = uvicorn.Config(
        MockOpenAI(settings),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,  # hundreds of requests per benchmark would drown real problems
        backlog=4096,
        timeout_graceful_shutdown=2,  # a long scripted delay must not hold up SIGTERM
    )
    logging.getLogger("uvicorn.error").addFilter(_HideIntentionalDrops())
    _PortReportingServer(config, args.port_file).run()


if __name__ == "__main__":
    main()
