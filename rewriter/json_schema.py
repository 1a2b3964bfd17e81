"""The JSON Schema of a msgspec Struct with every reference inlined.

Model servers take it as a response format (rewriter/llm.py), and the API describes request
bodies it reads itself with it (api/openapi.py); many OpenAI-compatible servers refuse ``$ref``.
"""

from __future__ import annotations

from typing import Any

import msgspec

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
