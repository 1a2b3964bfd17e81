"""OpenAPI descriptions the framework cannot derive: a route that reads its body itself."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.spec import OpenAPIType, Schema

from rewriter.json_schema import json_schema_for


def openapi_schema(node: dict[str, Any]) -> Schema:
    """A JSON Schema as msgspec writes it (references inlined) as Litestar's OpenAPI Schema."""
    aliases = Schema.field_aliases()
    fields: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            value = {name: openapi_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            value = openapi_schema(value)
        elif key in ("anyOf", "oneOf", "allOf"):
            value = [openapi_schema(sub) for sub in value]
        elif key == "type":
            value = OpenAPIType(value)
        fields[aliases.get(key, key)] = value
    return Schema(**fields)


def struct_schema(kind: type[msgspec.Struct]) -> Schema:
    """A msgspec Struct's schema, as the OpenAPI document describes a request body."""
    return openapi_schema(json_schema_for(kind))
