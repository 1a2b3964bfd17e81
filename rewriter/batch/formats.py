"""Reading backlogs in the formats people export them in.

* CSV or TSV with a header row. The text column is the first of ``request``, ``summary``,
  ``title``, ``story``, ``user story``, ``text``; ``context``, ``description`` or ``body``
  becomes the context (Jira's export: ``Summary`` and ``Description``); ``id``, ``issue key``,
  ``key``, ``number`` or ``issue id`` becomes the id. Names match case-insensitively.
* JSON: an array (a GitHub issues export: ``title``, ``body``, ``number``; objects named like
  the columns above; or plain strings), or ``{"items": [...]}``.
* JSON lines: one such object or string per line.
* Plain text: one item per line; blank lines are skipped, list markers ("- ", "1. ") dropped.

A user story ("As a …, I want …, so that …") is kept whole as the request: its "so that"
clause is the best clue to the outcome, and the engines read it from the request text.

Everything here is a generator over a text stream, so a file is never held in memory as
items; only a JSON array has to be parsed whole.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import PurePath
from typing import Any, BinaryIO, Literal, TextIO

import msgspec

from rewriter.batch.errors import BatchInputError, BatchTooLarge, UnsupportedFormat
from rewriter.batch.model import BacklogItem, BatchOptions

Format = Literal["csv", "tsv", "json", "jsonl", "text"]

# The same limits as POST /v1/rewrites (api/schemas.py): a batch item is a rewrite.
MAX_REQUEST_CHARS = 2000
MAX_CONTEXT_CHARS = 4000
MAX_ID_CHARS = 200
# Room for 10,000 items with long Jira descriptions; the item count is the real limit.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024

TEXT_FIELDS = ("request", "summary", "title", "story", "user story", "text")
CONTEXT_FIELDS = ("context", "description", "body")
ID_FIELDS = ("id", "issue key", "issuekey", "key", "number", "issue id")

EXTENSIONS: dict[str, Format] = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "text", ".text": "text", ".md": "text",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
}  # fmt: skip
MEDIA_TYPES: dict[str, Format] = {
    "text/csv": "csv", "application/csv": "csv", "text/tab-separated-values": "tsv", "text/plain": "text",
    "text/markdown": "text", "application/json": "json", "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl", "application/json-lines": "jsonl", "application/x-jsonlines": "jsonl",
}  # fmt: skip
MEDIA_TYPE_OF: dict[Format, str] = {
    "csv": "text/csv", "tsv": "text/tab-separated-values", "text": "text/plain",
    "json": "application/json", "jsonl": "application/x-ndjson",
}  # fmt: skip
# Media types that say nothing about the content, so we look at the content instead.
_UNSPECIFIC = {"", "application/octet-stream"}
_ACCEPTED = "CSV, TSV, JSON, JSON lines or plain text (one item per line)"
_LIST_MARKER = re.compile(r"^(?:[-*•]\s+|\d{1,4}[.)]\s+)")
_ZIP_MAGIC = b"PK\x03\x04"  # .xlsx, .docx, .ods are zip archives
_SNIFF_BYTES = 8192


def _check_not_binary(head: bytes) -> None:
    """Refuse spreadsheets, PDFs and other binary data with a message that says what to do."""
    if head.startswith(_ZIP_MAGIC):
        raise UnsupportedFormat("file", "this looks like a spreadsheet workbook or another zip archive: export it as CSV")
    if b"\x00" in head:
        raise UnsupportedFormat("file", f"this is binary data, not text; send {_ACCEPTED}")


def _detect_format(*, filename: str | None = None, media_type: str | None = None, head: str = "") -> Format:
    """The format from the file name's extension, else the media type, else the first bytes."""
    suffix = PurePath(filename).suffix.lower() if filename else ""
    if suffix:
        if suffix in EXTENSIONS:
            return EXTENSIONS[suffix]
        raise UnsupportedFormat("file", f"cannot read {suffix} files; send {_ACCEPTED}")
    media = (media_type or "").split(";", 1)[0].strip().lower()
    if media in MEDIA_TYPES:
        return MEDIA_TYPES[media]
    if media not in _UNSPECIFIC:
        raise UnsupportedFormat("content-type", f"cannot read {media}; send {_ACCEPTED}")
    return _sniff(head)


def _sniff(head: str) -> Format:
    stripped = head.lstrip()
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        return "jsonl"
    first_line = stripped.split("\n", 1)[0]
    if "\t" in first_line:
        return "tsv"
    header = next(csv.reader([first_line]), [])
    if _pick([_field_name(cell) for cell in header], TEXT_FIELDS) is not None:
        return "csv"
    return "text"


def backlog_format(binary: BinaryIO, *, filename: str | None = None, media_type: str | None = None) -> Format:
    """The format of a seekable byte stream, which is left at its start."""
    head = binary.read(_SNIFF_BYTES)
    binary.seek(0)
    _check_not_binary(head)
    return _detect_format(filename=filename, media_type=media_type, head=head.decode("utf-8", "ignore"))


def read_backlog(binary: BinaryIO, *, filename: str | None = None, media_type: str | None = None) -> tuple[Format, Iterator[BacklogItem]]:
    """The format of a seekable byte stream and its items, decoded as they are read."""
    fmt = backlog_format(binary, filename=filename, media_type=media_type)
    # utf-8-sig drops the byte-order mark Excel writes; newline="" lets csv see quoted line breaks.
    return fmt, _read_items(io.TextIOWrapper(binary, encoding="utf-8-sig", newline=""), fmt)


def _read_items(stream: TextIO, fmt: Format) -> Iterator[BacklogItem]:
    """The items in ``stream``, unchecked (see :func:`checked_items`)."""
    readers: dict[Format, Callable[[TextIO], Iterator[BacklogItem]]] = {
        "csv": partial(_read_table, delimiter=","),
        "tsv": partial(_read_table, delimiter="\t"),
        "json": _read_json,
        "jsonl": _read_json_lines,
        "text": _read_lines,
    }
    try:
        yield from readers[fmt](stream)
    except UnicodeDecodeError as exc:
        raise UnsupportedFormat("file", "the file is not UTF-8 text; save or export it as UTF-8") from exc


def checked_items(items: Iterable[BacklogItem], *, max_items: int) -> Iterator[BacklogItem]:
    """Trimmed items within the length limits, at most ``max_items`` of them, and at least one."""
    count = 0
    for item in items:
        count += 1
        if count > max_items:
            raise BatchTooLarge("items", f"a batch holds at most {max_items:,} items; split the backlog into smaller batches")
        yield _checked(item)
    if count == 0:
        raise BatchInputError("items", "there are no items: the input is empty or has only a header or blank lines")


def _checked(item: BacklogItem) -> BacklogItem:
    request = item.request.strip()
    if not request:
        raise BatchInputError(item.where, f"{item.where}: the request is empty")
    context = (item.context or "").strip() or None
    item_id = (item.id or "").strip() or None
    for name, text, limit in (("request", request, MAX_REQUEST_CHARS), ("context", context, MAX_CONTEXT_CHARS), ("id", item_id, MAX_ID_CHARS)):
        if text is not None and len(text) > limit:
            raise BatchInputError(
                item.where, f"{item.where}: the {name} is {len(text):,} characters long; the limit is {limit:,}"
            )
    return BacklogItem(where=item.where, request=request, context=context, id=item_id)


def input_digest(fmt: str, payload: Iterable[bytes], options: BatchOptions) -> str:
    """Names a submission by its content: the same bytes, format and options give the same digest.

    The CLI's ``--resume`` finds the batch it started from a file by this digest, whether the
    batch runs in-process or on a server, so both sides compute it with this one function.
    """
    digest = hashlib.sha256(fmt.encode() + b"\0" + msgspec.json.encode(options) + b"\0")
    for chunk in payload:
        digest.update(chunk)
    return digest.hexdigest()


# --- readers ---------------------------------------------------------------------------------


def _field_name(name: str) -> str:
    return re.sub(r"[\s_-]+", " ", name.strip().lower())


def _pick(names: list[str], wanted: tuple[str, ...]) -> int | None:
    for name in wanted:
        if name in names:
            return names.index(name)
    return None


def _read_table(stream: TextIO, *, delimiter: str) -> Iterator[BacklogItem]:
    reader = csv.reader(stream, delimiter=delimiter)
    # Rows are numbered as a spreadsheet shows them: the header is row 1.
    rows = enumerate(reader, start=1)
    try:
        for _, header in rows:
            if any(cell.strip() for cell in header):
                break
        else:
            return
        names = [_field_name(cell) for cell in header]
        text, context, item_id = _pick(names, TEXT_FIELDS), _pick(names, CONTEXT_FIELDS), _pick(names, ID_FIELDS)
        if text is None:
            found = ", ".join(repr(cell.strip()) for cell in header if cell.strip())
            raise BatchInputError(
                "header", f"no column holds the items: expected one of {', '.join(TEXT_FIELDS)}; found {found}"
            )
        for number, row in rows:
            if any(cell.strip() for cell in row):
                yield BacklogItem(
                    where=f"row {number}", request=_cell(row, text) or "", context=_cell(row, context), id=_cell(row, item_id)
                )
    except csv.Error as exc:
        raise BatchInputError(f"row {reader.line_num}", f"row {reader.line_num}: {exc}") from exc


def _cell(row: list[str], index: int | None) -> str | None:
    """A short row (a spreadsheet drops trailing empty cells) just lacks the cell."""
    return row[index] if index is not None and index < len(row) else None


def _read_json(stream: TextIO) -> Iterator[BacklogItem]:
    try:
        document = json.load(stream)
    except json.JSONDecodeError as exc:
        raise BatchInputError("file", f"the file is not valid JSON: {exc}") from exc
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        if "options" in document:
            raise BatchInputError("options", "options in an uploaded file are not read: pass them as query parameters or CLI flags")
        document = document["items"]
    if not isinstance(document, list):
        raise BatchInputError("file", 'expected a JSON array of items (e.g. a GitHub issues export) or {"items": [...]}')
    for index, value in enumerate(document):
        yield _item_from_json(value, f"items[{index}]")


def _read_json_lines(stream: TextIO) -> Iterator[BacklogItem]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BatchInputError(f"line {number}", f"line {number}: not valid JSON: {exc}") from exc
        yield _item_from_json(value, f"line {number}")


def _read_lines(stream: TextIO) -> Iterator[BacklogItem]:
    for number, line in enumerate(stream, start=1):
        text = _LIST_MARKER.sub("", line.strip(), count=1)
        if text:
            yield BacklogItem(where=f"line {number}", request=text)


def _item_from_json(value: Any, where: str) -> BacklogItem:
    if isinstance(value, str):
        return BacklogItem(where=where, request=value)
    if not isinstance(value, dict):
        raise BatchInputError(where, f"{where}: expected an object or a string, got {type(value).__name__}")
    keys = {_field_name(key): key for key in value if isinstance(key, str)}
    names = list(keys)
    text, context, item_id = _pick(names, TEXT_FIELDS), _pick(names, CONTEXT_FIELDS), _pick(names, ID_FIELDS)
    if text is None:
        raise BatchInputError(
            where, f"{where}: no field holds the item: expected one of {', '.join(TEXT_FIELDS)}; found {', '.join(map(repr, value)) or 'none'}"
        )

    def field(index: int | None, kinds: tuple[type, ...]) -> Any:
        if index is None:
            return None
        key = keys[names[index]]
        found = value[key]
        if found is not None and (not isinstance(found, kinds) or isinstance(found, bool)):
            raise BatchInputError(where, f"{where}: `{key}` must be {'text' if kinds == (str,) else 'text or a number'}")
        return found

    request = field(text, (str,))
    found_id = field(item_id, (str, int))
    return BacklogItem(
        where=where, request=request or "", context=field(context, (str,)), id=None if found_id is None else str(found_id)
    )
