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
import re
from pathlib import Path
from typing import Any

from litestar.connection import Request
from litestar.exceptions import NotAuthorizedException
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")
PROTECTED_PREFIX = "/v1"


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class ApiKeys:
    def __init__(self, digests: list[bytes]) -> None:
        self.digests = digests

    @classmethod
    def load(cls, keys: str | None, keys_file: str | None) -> ApiKeys:
        digests = [digest(k.strip()) for k in (keys or "").split(",") if k.strip()]
        if keys_file:
            for number, line in enumerate(Path(keys_file).read_text(encoding="utf-8").splitlines(), start=1):
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                if not _HEX_DIGEST.match(line):
                    raise ValueError(f"{keys_file}:{number}: expected a SHA-256 hex digest, one per line")
                digests.append(bytes.fromhex(line))
        return cls(digests)

    @property
    def enabled(self) -> bool:
        return bool(self.digests)

    def identify(self, presented: str) -> str | None:
        """A short, non-secret id for a valid key (for logs and rate limits), else None."""
        candidate = digest(presented)
        match = None
        for known in self.digests:  # no early exit: the loop takes the same time for any key
            if hmac.compare_digest(candidate, known):
                match = known
        return match.hex()[:12] if match else None


def presented_key(headers: Any) -> str | None:
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get("x-api-key") or None


class ApiKeyMiddleware(ASGIMiddleware):
    """Require a valid key on every /v1 route; /health, /ready, /schema, /metrics and / stay open."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, keys: ApiKeys) -> None:
        self.keys = keys

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        path = scope["path"]
        if self.keys.enabled and path.startswith(PROTECTED_PREFIX) and scope.get("method") != "OPTIONS":
            key = presented_key(Request(scope).headers)
            key_id = self.keys.identify(key) if key else None
            if key_id is None:
                raise NotAuthorizedException(
                    "A valid API key is required: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'.",
                    headers={"WWW-Authenticate": 'Bearer realm="realise"'},
                )
            scope.setdefault("state", {})["api_key_id"] = key_id
        await next_app(scope, receive, send)


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
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()), *_PROTECTIVE_HEADERS]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": body})
