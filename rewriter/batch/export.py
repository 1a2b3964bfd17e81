"""One row per input item, as NDJSON or CSV: what GET /v1/batches/{id}/results and the CLI's
``--out`` file hold, with the same columns.

Columns: ``id``, ``status`` (pending, done, failed), ``request``, ``assessment_kind`` (was
the input itself an output or an outcome?), ``objective`` (the top candidate), its
``key_results``, ``score``, ``passed`` (no error-level finding), ``findings`` (the top
ones, most severe first), ``questions`` (what the engine would ask next: the 5 Whys),
``notice`` (why no candidate, or fewer than asked, came back) and ``error`` (why the item
failed). An item answered with no candidate is done, with empty candidate columns and a
notice.

A stored result that cannot be read (a damaged row) never ends the export quietly: its row
says ``status: unreadable`` with the item's id and an ``error``, it is logged, and the rows
after it follow. A failure to read the database itself aborts the transfer (the chunked
response ends without its last chunk), so a client never takes a cut-short export as whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Literal

import msgspec
import structlog

from evaluators import ObjectiveJudgement
from evaluators.engine import sort_findings
from rewriter.batch.store import StoredRow
from rewriter.domain import Candidate

OutputFormat = Literal["jsonl", "csv"]
TOP_FINDINGS = 3
COLUMNS = (
    "id",
    "status",
    "request",
    "assessment_kind",
    "objective",
    "key_results",
    "score",
    "passed",
    "findings",
    "questions",
    "notice",
    "error",
)
# A spreadsheet runs a cell that starts with one of these as a formula; text from a backlog or
# a model must never become one (CSV injection), so such cells get a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UNREADABLE = "unreadable"
log = structlog.get_logger("realise.batch.export")


class FindingSummary(msgspec.Struct, frozen=True, kw_only=True):
    severity: str
    code: str
    message: str


class ItemResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a done item keeps: the judgement of its input and its best candidate (None when
    no candidate passed), the questions asked and the notice. Also the cached value; rows
    stored before questions existed decode with the defaults."""

    assessment_kind: str
    objective: str | None
    key_results: list[str]
    score: float | None
    passed: bool | None
    findings: list[FindingSummary]
    questions: list[str] = msgspec.field(default_factory=list)
    notice: str | None = None


class ResultRow(msgspec.Struct, kw_only=True):
    id: str
    status: str
    request: str
    assessment_kind: str | None = None
    objective: str | None = None
    key_results: list[str] | None = None
    score: float | None = None
    passed: bool | None = None
    findings: list[FindingSummary] | None = None
    questions: list[str] | None = None
    notice: str | None = None
    error: str | None = None


def summarise(
    assessment: ObjectiveJudgement,
    candidates: list[Candidate],
    questions: list[str] | None = None,
    notice: str | None = None,
) -> ItemResult:
    """The judgement of the input and the top candidate, with its most severe findings."""
    if not candidates:
        return ItemResult(
            assessment_kind=assessment.kind,
            objective=None,
            key_results=[],
            score=None,
            passed=None,
            findings=[],
            questions=list(questions or []),
            notice=notice,
        )
    top = candidates[0]
    evaluation = top.evaluation
    findings = sort_findings(
        [
            *evaluation.objective.findings,
            *(f for kr in evaluation.key_results for f in kr.findings),
            *evaluation.findings,
        ]
    )
    # The same finding on each key result says one thing, once (dict.fromkeys keeps the order).
    distinct = list(
        dict.fromkeys(FindingSummary(severity=f.severity, code=f.code, message=f.message) for f in findings)
    )
    return ItemResult(
        assessment_kind=assessment.kind,
        objective=top.objective,
        key_results=[kr.text for kr in top.key_results],
        score=top.score,
        passed=evaluation.passed,
        findings=distinct[:TOP_FINDINGS],
        questions=list(questions or []),
        notice=notice,
    )


_decode_result = msgspec.json.Decoder(ItemResult).decode


def result_row(stored: StoredRow, *, batch_id: str | None = None) -> ResultRow:
    row = ResultRow(id=stored.id, status=stored.status, request=stored.request, error=stored.error)
    if stored.result is not None:
        try:
            result = _decode_result(stored.result)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.error("result_unreadable", batch=batch_id, item=stored.id, position=stored.position, error=str(exc))
            row.status = UNREADABLE
            row.error = "the stored result of this item cannot be read; it has been logged"
            return row
        row.assessment_kind = result.assessment_kind
        row.objective = result.objective
        row.key_results = result.key_results
        row.score = result.score
        row.passed = result.passed
        row.findings = result.findings
        row.questions = result.questions
        row.notice = result.notice
    return row


def encode_pages(
    pages: Iterable[list[StoredRow]], fmt: OutputFormat, *, batch_id: str | None = None
) -> Iterator[bytes]:
    """One chunk of bytes per page of rows; CSV starts with its header.

    An error reading the pages is logged and raised: the caller's stream must end as a failure.
    """
    try:
        yield from _encoded(pages, fmt, batch_id)
    except Exception:
        log.exception("results_export_aborted", batch=batch_id, format=fmt)
        raise


def _encoded(pages: Iterable[list[StoredRow]], fmt: OutputFormat, batch_id: str | None) -> Iterator[bytes]:
    if fmt == "csv":
        yield _csv_lines([list(COLUMNS)])
        for page in pages:
            yield _csv_lines([_csv_cells(result_row(stored, batch_id=batch_id)) for stored in page])
        return
    encoder = msgspec.json.Encoder()
    for page in pages:
        buffer = bytearray()
        for stored in page:
            encoder.encode_into(result_row(stored, batch_id=batch_id), buffer, len(buffer))
            buffer.extend(b"\n")
        yield bytes(buffer)


def _csv_lines(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode()


def _safe(text: str | None) -> str:
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_cells(row: ResultRow) -> list[str]:
    return [
        _safe(row.id),
        row.status,
        _safe(row.request),
        row.assessment_kind or "",
        _safe(row.objective),
        _safe("\n".join(row.key_results or [])),
        "" if row.score is None else f"{row.score:.3f}",
        "" if row.passed is None else str(row.passed).lower(),
        _safe("\n".join(f"{f.severity} {f.code}: {f.message}" for f in row.findings or [])),
        _safe("\n".join(row.questions or [])),
        _safe(row.notice),
        _safe(row.error),
    ]
