"""Generate docs/api.md from the app's OpenAPI schema, so the reference cannot drift from the code.

.venv/bin/python -m api.docs            # writes docs/api.md
.venv/bin/python -m api.docs --check    # exits 1 if docs/api.md is stale
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from api.app import create_app
from api.config import Settings
from evaluators.docs import write_generated

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "api.md"
REGENERATE = ".venv/bin/python -m api.docs"
Schema = dict[str, Any]


def openapi_document() -> Schema:
    with tempfile.TemporaryDirectory(prefix="realise-docs-") as tmp:
        # ERROR level: the app's start-up warnings (no API keys configured) are not news here.
        settings = Settings(engine="offline", db_path=str(Path(tmp) / "docs.db"), log_level="ERROR")
        return create_app(settings).openapi_schema.to_schema()


def anchor(heading: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _alternatives(schema: Schema) -> list[Schema]:
    return schema.get("oneOf") or schema.get("anyOf") or []


class Renderer:
    def __init__(self, components: dict[str, Schema]) -> None:
        self.components = components

    def type_of(self, schema: Schema) -> str:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return f"[{name}](#{anchor(name)})"
        if alternatives := _alternatives(schema):
            return " or ".join(dict.fromkeys(self.type_of(member) for member in alternatives))
        if "enum" in schema:
            return " | ".join("`null`" if value is None else f"`{value}`" for value in schema["enum"])
        kind = schema.get("type")
        if isinstance(kind, list):
            return " or ".join(kind)
        if kind == "array":
            if "prefixItems" in schema:
                return "[" + ", ".join(self.type_of(item) for item in schema["prefixItems"]) + "]"
            return f"array of {self.type_of(schema['items'])}" if "items" in schema else "array"
        if kind == "object":
            title = schema.get("title")
            if title in self.components:
                return f"[{title}](#{anchor(title)})"
            if isinstance(schema.get("additionalProperties"), dict):
                return f"object of {self.type_of(schema['additionalProperties'])}"
            return f"{title} object" if title else "object"
        if kind == "string" and "format" in schema:
            return f"string ({schema['format']})"
        return kind or "any"

    def constraints(self, schema: Schema) -> str:
        """Limits and defaults, from the schema and from its alternatives (msgspec puts them on either)."""
        merged: Schema = {}
        for part in [*_alternatives(schema), schema]:
            merged.update({k: v for k, v in part.items() if k not in ("oneOf", "anyOf", "description")})
        notes = []
        for low, high, unit in (
            ("minLength", "maxLength", " characters"),
            ("minItems", "maxItems", " items"),
            ("minimum", "maximum", ""),
        ):
            if low in merged and high in merged:
                notes.append(f"{_number(merged[low])}–{_number(merged[high])}{unit}")
            elif high in merged:
                notes.append(f"at most {_number(merged[high])}{unit}")
            elif low in merged:
                notes.append(f"at least {_number(merged[low])}{unit.removesuffix('s') if merged[low] == 1 else unit}")
        if "pattern" in merged:
            notes.append(f"pattern `{merged['pattern']}`")
        if "default" in merged:
            notes.append(f"default `{json.dumps(merged['default'])}`")
        return "; ".join(notes)

    @staticmethod
    def description(schema: Schema) -> str:
        found = [schema.get("description")] + [member.get("description") for member in _alternatives(schema)]
        return next((text for text in found if text), "")

    def fields_table(self, schema: Schema) -> list[str]:
        """An object schema as a table of its fields; inline objects it contains get tables after it."""
        properties: dict[str, Schema] = schema.get("properties", {})
        if not properties:
            return [f"Type: {self.type_of(schema)}."]
        required = set(schema.get("required", []))
        lines = ["| Field | Type | Required | Limits | Description |", "|---|---|---|---|---|"]
        nested: list[Schema] = []
        for name, field in properties.items():
            lines.append(
                f"| `{name}` | {_cell(self.type_of(field))} | {'yes' if name in required else 'no'} "
                f"| {_cell(self.constraints(field))} | {_cell(self.description(field))} |"
            )
            nested += self._inline_objects(field)
        for inline in nested:
            lines += ["", f"`{inline['title']}`:", "", *self.fields_table(inline)]
        return lines

    def _inline_objects(self, schema: Schema) -> list[Schema]:
        """Titled objects defined in place (not components), which need a table of their own."""
        found = []
        for member in [schema, *_alternatives(schema), schema.get("items") or {}]:
            if (
                member.get("type") == "object"
                and member.get("properties")
                and member.get("title") not in self.components
            ):
                found.append(member)
            elif member is not schema and member.get("items"):
                found += self._inline_objects(member)
        return found

    def operation(self, method: str, path: str, op: Schema) -> list[str]:
        lines = [f"### `{method.upper()} {path}`", "", f"**{op.get('summary', '')}**", ""]
        if op.get("description"):
            lines += [op["description"].strip(), ""]
        if parameters := op.get("parameters"):
            lines += ["| Parameter | In | Type | Required | Limits | Description |", "|---|---|---|---|---|---|"]
            for parameter in parameters:
                schema = parameter.get("schema", {})
                lines.append(
                    f"| `{parameter['name']}` | {parameter['in']} | {_cell(self.type_of(schema))} "
                    f"| {'yes' if parameter.get('required') else 'no'} | {_cell(self.constraints(schema))} "
                    f"| {_cell(parameter.get('description') or self.description(schema))} |"
                )
            lines.append("")
        if body := op.get("requestBody"):
            lines += ["Request body" + (f": {_cell(body['description'])}" if body.get("description") else "") + "", ""]
            for media_type, content in body.get("content", {}).items():
                schema = content.get("schema", {})
                if "$ref" in schema or not schema.get("properties"):
                    lines.append(f"- `{media_type}`: {self.type_of(schema)}")
                else:
                    lines += [
                        f"- `{media_type}`:",
                        "",
                        *("  " + line if line else "" for line in self.fields_table(schema)),
                        "",
                    ]
            lines.append("")
        lines += ["| Status | Meaning | Body |", "|---|---|---|"]
        for status, response in op.get("responses", {}).items():
            bodies = "; ".join(
                f"{self.type_of(content.get('schema', {}))} (`{media_type}`)"
                for media_type, content in response.get("content", {}).items()
            )
            lines.append(f"| {status} | {_cell(response.get('description', ''))} | {_cell(bodies) or '—'} |")
        return [*lines, ""]


def render(document: Schema | None = None) -> str:
    document = document or openapi_document()
    components = document.get("components", {}).get("schemas", {})
    renderer = Renderer(components)
    info = document["info"]
    operations = [(method, path, op) for path, item in document["paths"].items() for method, op in item.items()]
    lines = [
        f"# {info['title']} HTTP API {info['version']}",
        "",
        f"<!-- Generated from the OpenAPI schema by `{REGENERATE}`; do not edit by hand. -->",
        "",
        info.get("description", ""),
        "",
        "A running server publishes the same schema at `/schema/openapi.json`, with interactive docs at",
        "`/schema`. Every error is `application/problem+json` ([Problem](#problem)); when the server has",
        "API keys, every `/v1` route needs `Authorization: Bearer KEY` or `X-API-Key: KEY`.",
        "",
        "## Endpoints",
        "",
        "| Method | Path | Summary |",
        "|---|---|---|",
    ]
    for method, path, op in operations:
        heading = f"{method.upper()} {path}"
        lines.append(f"| `{method.upper()}` | [`{path}`](#{anchor(heading)}) | {_cell(op.get('summary', ''))} |")
    lines.append("")
    for method, path, op in operations:
        lines += renderer.operation(method, path, op)
    lines += ["## Schemas", ""]
    for name, schema in components.items():
        lines += [f"### {name}", ""]
        if schema.get("description"):
            lines += [schema["description"].strip(), ""]
        lines += [*renderer.fields_table(schema), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return write_generated(DOCS_PATH, render(), REGENERATE, argv)


if __name__ == "__main__":
    raise SystemExit(main())
