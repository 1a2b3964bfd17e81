"""docs/api.md is generated from the OpenAPI schema; this keeps the committed copy current."""

from api.docs import DOCS_PATH, REGENERATE, render


def test_docs_api_md_matches_the_openapi_schema() -> None:
    assert DOCS_PATH.read_text(encoding="utf-8") == render(), f"docs/api.md is out of date; run: {REGENERATE}"
