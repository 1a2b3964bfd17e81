"""Batches: submit a whole backlog, follow it, stream its results, retry or cancel it."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Annotated, Any
from urllib.parse import urlencode

import ijson
import msgspec
from litestar import Controller, Request, Response, delete, get, post, route
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import HttpMethod
from litestar.exceptions import ClientException, HTTPException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath, FromQuery, HeaderParameter, QueryParameter
from litestar.response import Stream

from api.batch_views import BatchIn, BatchItemIn, BatchPage, BatchView, batch_view
from api.errors import InvalidInput
from api.openapi import struct_schema
from api.schemas import Problem, problem_responses
from api.security import Principal
from api.services import Services
from rewriter.batch.errors import BatchInputError
from rewriter.batch.export import COLUMNS, OutputFormat, encode_pages
from rewriter.batch.formats import (
    MAX_ID_CHARS,
    MAX_UPLOAD_BYTES,
    checked_items,
    input_digest,
    json_items,
    json_object_fields,
    read_backlog,
)
from rewriter.batch.model import BacklogItem, BatchOptions, BatchStatus
from rewriter.domain import MissionChoice, RewriteOptions

CANDIDATES, KEY_RESULTS = RewriteOptions.option("candidates"), RewriteOptions.option("key_results")
RESULT_MEDIA_TYPES: dict[str, OutputFormat] = {"application/x-ndjson": "jsonl", "text/csv": "csv"}
RESULT_EXTENSIONS: dict[OutputFormat, str] = {"jsonl": "ndjson", "csv": "csv"}


def _result_media_type(request: Request) -> str:
    """The results' media type the client accepts: NDJSON when it does not say; 406 when it
    accepts neither (an unmet ``Accept`` is answered, not quietly ignored)."""
    if not request.headers.get("accept", "").strip():
        return "application/x-ndjson"
    media = request.accept.best_match(list(RESULT_MEDIA_TYPES))
    if media is None:
        raise HTTPException(
            status_code=406,
            detail=f"Results come as {' or '.join(RESULT_MEDIA_TYPES)}; the Accept header allows neither "
            f"({request.headers['accept']!r}).",
        )
    return media


# --- OpenAPI: one route, several request media types --------------------------------------------


_TEXT = Schema(type=OpenAPIType.STRING)
# A file body's one constraint is that the server can read it, which no schema can express: an
# empty schema admits any body and leaves the verdict (415, 422 naming the row) to the server.
_ANY_TEXT = Schema()
_EXPORT = Schema(
    type=OpenAPIType.ARRAY,
    min_items=1,
    items=Schema(any_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.OBJECT)]),
    description="An exported backlog: strings, or objects with a `request`, `summary`, `title` or `story` "
    "(a GitHub issues export: `title`, `body`, `number`).",
)


@dataclass
class BatchSubmission(Operation):
    """createBatch reads its body itself (its format depends on the media type), so Litestar
    cannot describe it; this says what it accepts."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="A JSON batch, or a backlog file: CSV/TSV with a header, a JSON array (e.g. a GitHub "
            "issues export), JSON lines (also as `application/x-ndjson`), or plain text with one item per line. "
            "For files, options are query parameters.",
            content={
                "application/json": OpenAPIMediaType(schema=Schema(any_of=[struct_schema(BatchIn), _EXPORT])),
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        properties={"file": Schema(type=OpenAPIType.STRING, format="binary")},  # type: ignore[arg-type]
                        required=["file"],
                    )
                ),
                **{
                    media: OpenAPIMediaType(schema=_ANY_TEXT)
                    for media in ("text/csv", "text/tab-separated-values", "text/plain")
                },
            },
        )


@dataclass
class BatchResults(Operation):
    """getBatchResults streams rows in the media type the client accepts."""

    def __post_init__(self) -> None:
        self.responses = {
            **(self.responses or {}),
            "200": OpenAPIResponse(
                description=f"One row per input item, in input order, with the columns {', '.join(COLUMNS)}. "
                "NDJSON by default; CSV with `Accept: text/csv`.",
                content={media: OpenAPIMediaType(schema=_TEXT) for media in RESULT_MEDIA_TYPES},
            ),
        }


def _problems(*statuses: int) -> dict[int, ResponseSpec]:
    meanings = {
        404: "There is no batch with this id.",
        406: "The Accept header allows neither NDJSON nor CSV.",
        409: "The batch is in a state that does not allow this.",
    }
    specs = problem_responses(*(s for s in statuses if s not in meanings))
    for status in statuses:
        if status in meanings:
            specs[status] = ResponseSpec(
                data_container=Problem,
                media_type="application/problem+json",
                description=meanings[status],
                generate_examples=False,
            )
    return specs


# --- reading a submission ----------------------------------------------------------------------


@dataclass
class _Submission:
    items: Iterable[BacklogItem]  # consumed while the batch is stored
    options: BatchOptions
    source: str
    digest: str


def _reject_unknown_query(request: Request, known: set[str]) -> None:
    """A misspelt option (``?candidate=2``) must not be silently ignored, as unknown body fields are not."""
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise InvalidInput(
            unknown[0], f"unknown query parameter: {', '.join(map(repr, unknown))}; expected {', '.join(sorted(known))}"
        )


def _query_options(
    mission: MissionChoice | None, candidates: int | None, key_results: int | None, token_budget: int | None
) -> dict[str, Any]:
    given = {"mission": mission, "candidates": candidates, "key_results": key_results, "token_budget": token_budget}
    return {name: value for name, value in given.items() if value is not None}


def _strict(value: Any, kind: type[msgspec.Struct], where: str) -> Any:
    """``value`` as ``kind``, JSON's types kept (``"3"`` is not a number); a 422 names ``where``."""
    try:
        return msgspec.convert(value, kind, strict=True)
    except msgspec.ValidationError as exc:  # 422 naming the field, as for every JSON body
        message = str(exc).replace("at `$", f"at `$.{where}", 1) if "at `$" in str(exc) else f"{exc} - at `$.{where}`"
        raise ValidationException(detail=message, extra=[{"message": message}]) from exc


def _json_batch(payload: bytes, query_options: dict[str, Any], *, max_items: int) -> _Submission:
    """A JSON batch, read as a stream: too many items are refused before any is built whole."""
    if query_options:
        raise BatchInputError(
            "options", "a JSON batch carries its options in the body (`options`), not in the query string"
        )
    try:
        fields = json_object_fields(payload, max_items=max_items)
    except ijson.JSONError as exc:  # not JSON at all: 400, as Litestar answers for other routes
        raise ClientException(detail=f"The request body is not valid JSON: {exc}") from exc
    unknown = sorted(set(fields) - {"options"})
    if unknown:
        message = f"Object contains unknown field `{unknown[0]}`"
        raise ValidationException(detail=message, extra=[{"message": message}])
    options = _strict(fields.get("options", {}), BatchOptions, "options")

    def items() -> Iterator[BacklogItem]:
        try:
            for i, value in enumerate(json_items(payload, "items.item")):
                item = _strict(value, BatchItemIn, f"items[{i}]")
                yield BacklogItem(
                    where=f"items[{i}]",
                    request=item.request,
                    context=item.context,
                    id=None if item.id is None else str(item.id),
                )
        except ijson.JSONError as exc:
            raise ClientException(detail=f"The request body is not valid JSON: {exc}") from exc

    return _Submission(items(), options, "json", input_digest("json", [payload], options))


def _file_batch(
    payload: bytes, filename: str | None, media_type: str | None, query_options: dict[str, Any], *, max_items: int
) -> _Submission:
    options = msgspec.convert(query_options, BatchOptions)
    fmt, items = read_backlog(io.BytesIO(payload), filename=filename, media_type=media_type, max_items=max_items)
    source = PurePath(filename).name[:MAX_ID_CHARS] if filename else fmt  # a label, not a path, and never a long one
    return _Submission(items, options, source, input_digest(fmt, [payload], options))


class BatchController(Controller):
    path = "/v1/batches"
    tags = ["batches"]

    # Litestar 2's automatic OPTIONS handler lists only the first method registered on a path
    # (litestar-org/litestar#4169, fixed in 3.0); these two paths serve several.
    @route(http_method=HttpMethod.OPTIONS, include_in_schema=False, status_code=204)
    async def batches_options(self) -> Response[None]:
        """The methods /v1/batches serves."""
        return Response(None, status_code=204, headers={"Allow": "GET, OPTIONS, POST"})

    @route("/{batch_id:str}", http_method=HttpMethod.OPTIONS, include_in_schema=False, status_code=204)
    async def batch_options(self) -> Response[None]:
        """The methods /v1/batches/{id} serves."""
        return Response(None, status_code=204, headers={"Allow": "DELETE, GET, OPTIONS"})

    @post(
        operation_id="createBatch",
        operation_class=BatchSubmission,
        status_code=202,
        request_max_body_size=MAX_UPLOAD_BYTES,
        responses=_problems(400, 401, 409, 413, 415, 422, 429),
        summary="Submit a backlog to rewrite",
    )
    async def create_batch(
        self,
        request: Request,
        services: NamedDependency[Services],
        principal: NamedDependency[Principal],
        mission: FromQuery[MissionChoice | None] = None,
        candidates: Annotated[
            int | None, QueryParameter(ge=CANDIDATES.low, le=CANDIDATES.high, description=CANDIDATES.description)
        ] = None,
        key_results: Annotated[
            int | None, QueryParameter(ge=KEY_RESULTS.low, le=KEY_RESULTS.high, description=KEY_RESULTS.description)
        ] = None,
        token_budget: Annotated[
            int | None, QueryParameter(ge=1, description="Stop the batch once it has used this many tokens.")
        ] = None,
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                min_length=1,
                max_length=255,
                description="Send the same key to retry a submission safely.",
            ),
        ] = None,
    ) -> Response[BatchView]:
        """Queue a whole backlog for rewriting; it runs in the background and survives restarts.

        Send JSON (`{"items": [{"id", "request", "context"}], "options": {...}}`) or a file: a
        multipart upload (field `file`) or a `text/csv`, `text/tab-separated-values`,
        `text/plain` or `application/x-ndjson` body. CSV needs a header with a `request`,
        `summary`, `title` or `story` column (`description` becomes the context, as in Jira's
        export); a JSON array of GitHub issues (`title`, `body`, `number`) works as it is. For
        files, options are query parameters. Items over the length limits, an empty backlog
        or one over the size limit are refused whole, naming the row. Identical items are
        computed once, and results cached from earlier batches are reused (`cached`). With an
        `Idempotency-Key`, resending the same submission returns the same batch.
        """
        _reject_unknown_query(request, {"mission", "candidates", "key_results", "token_budget"})
        query_options = _query_options(mission, candidates, key_results, token_budget)
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        max_items = services.settings.batch_max_items
        if media == "multipart/form-data":
            upload = (await request.form()).get("file")
            if not isinstance(upload, UploadFile):
                raise BatchInputError("file", "send the backlog as a form field named `file`")
            submission = _file_batch(
                await upload.read(), upload.filename, upload.content_type, query_options, max_items=max_items
            )
        else:
            payload = await request.body()
            if media == "application/json" and payload.lstrip()[:1] == b"{":
                submission = _json_batch(payload, query_options, max_items=max_items)
            else:
                submission = _file_batch(payload, None, media, query_options, max_items=max_items)

        store = services.batch_store
        if idempotency_key and (earlier := store.by_idempotency_key(idempotency_key, owner=principal.id)) is not None:
            if earlier.input_digest != submission.digest:
                raise BatchInputError(
                    "Idempotency-Key", "this key was sent with a different submission; use a new key for new content"
                )
            batch = earlier
        else:
            batch = store.create(
                checked_items(submission.items, max_items=services.settings.batch_max_items),
                options=submission.options,
                source=submission.source,
                input_digest=submission.digest,
                idempotency_key=idempotency_key,
                owner=principal.id,
            )
            services.batch_runner.submit(batch.id)
        view = batch_view(batch)
        return Response(view, status_code=202, headers={"Location": view.links.self})

    @get(operation_id="listBatches", responses=_problems(401, 422, 429), summary="List batches, newest first")
    async def list_batches(
        self,
        request: Request,
        services: NamedDependency[Services],
        principal: NamedDependency[Principal],
        status: FromQuery[BatchStatus | None] = None,
        input_digest: Annotated[
            str | None, QueryParameter(pattern=r"^[0-9a-f]{64}$", description="Only batches made from this input.")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        before: Annotated[
            int | None,
            QueryParameter(ge=1, le=2**63 - 1, description="Cursor: the `next` link of the previous page sets it."),
        ] = None,
    ) -> BatchPage:
        """List batches, newest first, a page at a time; `next` links to the following page."""
        _reject_unknown_query(request, {"status", "input_digest", "limit", "before"})
        found = services.batch_store.find(
            limit=limit, before_seq=before, status=status, input_digest=input_digest, owner=principal.owner_filter
        )
        following = None
        if len(found) == limit:
            query = {"limit": limit, "before": found[-1].seq, "status": status, "input_digest": input_digest}
            following = f"{self.path}?{urlencode({k: v for k, v in query.items() if v is not None})}"
        return BatchPage(batches=[batch_view(batch) for batch in found], next=following)

    @get(
        "/{batch_id:str}",
        operation_id="getBatch",
        responses=_problems(401, 404, 429),
        summary="Status, counts, progress and ETA",
    )
    async def get_batch(
        self, batch_id: FromPath[str], services: NamedDependency[Services], principal: NamedDependency[Principal]
    ) -> BatchView:
        """Status (queued, running, done, cancelled, failed), counts (total, done, failed, cached), progress and ETA.

        `done` counts every item with a result; `cached` those of them that needed no model call.
        """
        return batch_view(services.batch_store.get(batch_id, owner=principal.owner_filter))

    @get(
        "/{batch_id:str}/results",
        operation_id="getBatchResults",
        operation_class=BatchResults,
        responses=_problems(401, 404, 406, 429),
        summary="Stream one row per item (NDJSON or CSV)",
    )
    async def get_batch_results(
        self,
        batch_id: FromPath[str],
        request: Request,
        services: NamedDependency[Services],
        principal: NamedDependency[Principal],
    ) -> Stream:
        """Stream one row per input item, in input order: NDJSON by default, CSV with `Accept: text/csv`.

        Columns: `id`, `status`, `request`, `assessment_kind` (was the item itself an output or
        an outcome?), `objective` (the top candidate), `key_results`, `score`, `passed` (no
        error-level finding), `findings` (the most severe first) and `error`. Items still pending
        are included with their status; available while the batch runs.
        """
        batch = services.batch_store.get(batch_id, owner=principal.owner_filter)
        media = _result_media_type(request)
        fmt = RESULT_MEDIA_TYPES[media]
        return Stream(
            encode_pages(services.batch_store.rows(batch.seq), fmt, batch_id=batch.id),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{batch.id}-results.{RESULT_EXTENSIONS[fmt]}"'},
        )

    @post(
        "/{batch_id:str}/retry",
        operation_id="retryBatch",
        status_code=202,
        responses=_problems(401, 404, 409, 429),
        summary="Retry the failed items of an ended batch",
    )
    async def retry_batch(
        self, batch_id: FromPath[str], services: NamedDependency[Services], principal: NamedDependency[Principal]
    ) -> BatchView:
        """Queue an ended batch again: its failed items, and any a cancel left undone, run once more.

        Done items are kept. A batch stopped by its token budget continues with a fresh budget.
        """
        batch = services.batch_store.requeue(batch_id, owner=principal.owner_filter)
        services.batch_runner.submit(batch.id)
        return batch_view(batch)

    @delete(
        "/{batch_id:str}",
        operation_id="cancelBatch",
        status_code=200,
        responses=_problems(401, 404, 409, 429),
        summary="Cancel a batch",
    )
    async def cancel_batch(
        self, batch_id: FromPath[str], services: NamedDependency[Services], principal: NamedDependency[Principal]
    ) -> BatchView:
        """Cancel a queued or running batch: calls in flight are stopped, done items are kept.

        A cancelled batch can be resumed with retry.
        """
        return batch_view(await services.batch_runner.cancel(batch_id, owner=principal.owner_filter))
