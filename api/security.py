"""Who may call the API: API keys, checked in constant time, and the identity rate limits use.

Keys come from ``REALISE_API_KEYS`` (comma-separated plain keys) and/or
``REALISE_API_KEYS_FILE`` (one SHA-256 hex digest per line, so plain keys need not sit on
disk). We only ever hold digests; a presented key is hashed and compared with
``hmac.compare_digest`` against every known digest, so timing reveals nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar.connection import Request
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Message, Receive, Scope, Send

_HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")
PROTECTED_PREFIX = "/v1"


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id (a short, non-secret digest prefix), or '' with keys off.

    Batches and idempotency keys belong to the principal that made them; an admin key sees
    and manages everyone's. With keys off there is one anonymous principal, as before keys.
    """

    id: str
    admin: bool = False

    @property
    def owner_filter(self) -> str | None:
        """The owner a store look-up is limited to: None (everyone's) for an admin."""
        return None if self.admin else self.id


ANONYMOUS = Principal("")


class ApiKeys:
    def __init__(self, digests: list[bytes], admin_digests: list[bytes] | None = None) -> None:
        self.digests = digests
        self.admin_digests = admin_digests or []

    @classmethod
    def load(cls, keys: str | None, keys_file: str | None, admin_keys: str | None = None) -> ApiKeys:
        digests = [digest(k.strip()) for k in (keys or "").split(",") if k.strip()]
        if keys_file:
            for number, line in enumerate(Path(keys_file).read_text(encoding="utf-8").splitlines(), start=1):
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                if not _HEX_DIGEST.match(line):
                    raise ValueError(f"{keys_file}:{number}: expected a SHA-256 hex digest, one per line")
                digests.append(bytes.fromhex(line))
        admin = [digest(k.strip()) for k in (admin_keys or "").split(",") if k.strip()]
        return cls(digests, admin)

    @property
    def enabled(self) -> bool:
        return bool(self.digests or self.admin_digests)

    def identify(self, presented: str) -> Principal | None:
        """The principal of a valid key (its id is non-secret, for logs, limits and ownership), else None."""
        candidate = digest(presented)
        match, admin = None, False
        # No early exit: the loops take the same time for any key.
        for known in self.digests:
            if hmac.compare_digest(candidate, known):
                match = known
        for known in self.admin_digests:
            if hmac.compare_digest(candidate, known):
                match, admin = known, True
        return Principal(match.hex()[:12], admin=admin) if match else None


def presented_key(headers: Any) -> str | None:
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get("x-api-key") or None


class FailedAuthLimit:
    """At most ``limit`` failed authentications per client address per ``window`` seconds.

    Past the limit the address is refused (429, Retry-After) until its window ends, whatever
    key it sends, so keys cannot be guessed at speed; successes never count. Memory is bounded:
    at most ``max_addresses`` windows are kept, the oldest dropped first.
    """

    def __init__(
        self, limit: int, window: float, *, max_addresses: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_addresses = max_addresses
        self.clock = clock
        self._failures: OrderedDict[str, tuple[float, int]] = OrderedDict()  # address -> (window start, count)

    def retry_after(self, address: str) -> float:
        """Seconds until ``address`` may try again (0: it may now)."""
        entry = self._failures.get(address)
        if entry is None or self.limit <= 0:
            return 0.0
        started, count = entry
        left = started + self.window - self.clock()
        if left <= 0:
            del self._failures[address]
            return 0.0
        return left if count >= self.limit else 0.0

    def record_failure(self, address: str) -> None:
        now = self.clock()
        started, count = self._failures.pop(address, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        self._failures[address] = (started, count + 1)
        while len(self._failures) > self.max_addresses:
            self._failures.popitem(last=False)


class ApiKeyMiddleware(ASGIMiddleware):
    """Require a valid key on every /v1 route; /health, /ready, /schema, /metrics and / stay open.

    Every /v1 request carries its :class:`Principal` in ``scope["state"]["principal"]``.
    """

    scopes = (ScopeType.HTTP,)

    def __init__(self, keys: ApiKeys, failed_auth: FailedAuthLimit | None = None) -> None:
        self.keys = keys
        self.failed_auth = failed_auth

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        path = scope["path"]
        state = scope.setdefault("state", {})
        state["principal"] = ANONYMOUS
        if self.keys.enabled and path.startswith(PROTECTED_PREFIX) and scope.get("method") != "OPTIONS":
            address = (scope.get("client") or ("unknown", 0))[0]
            if self.failed_auth is not None and (wait := self.failed_auth.retry_after(address)) > 0:
                raise HTTPException(
                    status_code=429,
                    detail="Too many failed authentication attempts from this address; try again later.",
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
            key = presented_key(Request(scope).headers)
            principal = self.keys.identify(key) if key else None
            if principal is None:
                if self.failed_auth is not None:
                    self.failed_auth.record_failure(address)
                raise NotAuthorizedException(
                    "A valid API key is required: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'.",
                    headers={"WWW-Authenticate": 'Bearer realm="realise"'},
                )
            state["principal"] = principal
            state["api_key_id"] = principal.id
        await next_app(scope, receive, send)


def principal_of(request: Request[Any, Any, Any]) -> Principal:
    """The caller of a /v1 request (the dependency controllers receive as ``principal``)."""
    return request.scope.get("state", {}).get("principal", ANONYMOUS)


def client_identity(request: Request[Any, Any, Any]) -> str:
    """Rate-limit per key when keys are in use, else per client address."""
    key_id = request.scope.get("state", {}).get("api_key_id")
    if key_id:
        return f"key:{key_id}"
    return f"addr:{request.client.host if request.client else 'unknown'}"


_PROTECTIVE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),  # a results download is never run as a script or page
    (b"x-frame-options", b"DENY"),  # the playground is never framed by another site
]


class ResponseHardening:
    """Outer ASGI wrapper: what every response says, and paths no route can serve.

    A path holding a NUL or another control character (``/realise.js%00.html``) cannot name
    a file or a route; it is refused here, before the static-file handler would fail on it.
    With CORS on, responses depend on the ``Origin`` header whether or not it matched, so
    every response says ``Vary: Origin`` and no cache hands one origin's answer to another.
    """

    def __init__(self, app: ASGIApp, *, cors: bool) -> None:
        self.app = app
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if any(ord(character) < 0x20 or ord(character) == 0x7F for character in scope["path"]):
            await _refuse_path(scope, send)
            return

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _PROTECTIVE_HEADERS if name not in present]
                if self.cors:
                    headers = _with_vary_origin(headers)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_hardened)


def _with_vary_origin(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    varies = [value for name, value in headers if name.lower() == b"vary"]
    if any(b"origin" in value.lower() or value.strip() == b"*" for value in varies):
        return headers
    return [*headers, (b"vary", b"Origin")]


async def _refuse_path(scope: Scope, send: Send) -> None:
    body = json.dumps(
        {
            "type": "https://realise.dev/problems/404",
            "title": "Not found",
            "status": 404,
            "detail": "The path holds a control character (such as NUL); no resource has such a name.",
            "instance": scope["path"].encode("unicode_escape").decode("ascii"),
        }
    ).encode()
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        *_PROTECTIVE_HEADERS,
    ]
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": 404, "headers": headers}
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)
