"""Who may call the API: API keys, checked in constant time, and the identity rate limits use.

Keys come from ``REALISE_API_KEYS`` (comma-separated plain keys) and/or
``REALISE_API_KEYS_FILE`` (one SHA-256 hex digest per line, so plain keys need not sit on
disk). We only ever hold digests; a presented key is hashed and compared with
``hmac.compare_digest`` against every known digest, so timing reveals nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path
from typing import Any

from litestar.connection import Request
from litestar.exceptions import NotAuthorizedException
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

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
