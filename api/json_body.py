"""How every JSON body is read: the media type checked, nesting bounded, types strict.

Litestar decodes a body to plain Python values and then converts them to the route's DTO
leniently (``strict=False``, so that query strings can become numbers), which would let
``"candidates": "3"`` through while ``"candidates": [3]`` is refused. Bodies are JSON, where
a number has its own type, so the DTO is checked strictly here first; Litestar's own
conversion then sees only values that already have the right types.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ClientException, HTTPException, ValidationException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE


def is_json_media_type(media_type: str) -> bool:
    """``application/json`` and its ``+json`` relatives; an absent type is read as JSON too."""
    media_type = media_type.strip().lower()
    return media_type in ("", "application/json") or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class JsonBodyRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        media_type, _ = self.content_type
        if not is_json_media_type(media_type):
            raise HTTPException(
                status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                detail=f"This route reads JSON; the body was sent as {media_type!r}. Send it with 'Content-Type: "
                "application/json'.",
            )
        try:
            value = await super().json()
        except RecursionError as exc:
            # The decoder recurses once per level; the interpreter's limit (about a thousand
            # levels) is far beyond any body the API accepts, which nests four levels at most.
            raise ClientException(
                detail="The JSON is nested too deeply to read; no request body of this API nests more than a few "
                "levels."
            ) from exc
        data = self.route_handler.parsed_data_field
        if data is not None and isinstance(data.annotation, type) and issubclass(data.annotation, msgspec.Struct):
            try:
                msgspec.convert(value, data.annotation, strict=True)
            except msgspec.ValidationError as exc:
                raise ValidationException(detail=str(exc), extra=[{"message": str(exc)}]) from exc
        return value
