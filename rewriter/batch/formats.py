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

Everything here is a generator over the input, so a file is never held in memory as items:
JSON too is read item by item (ijson), and a count past the limit stops the reading.
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

import ijson
import msgspec

from rewriter.batch.errors import BatchInputError, BatchTooLarge, UnsupportedFormat
from rewriter.batch.model import BacklogItem, BatchOptions
from rewriter.domain import MAX_CONTEXT_CHARS, MAX_REQUEST_CHARS, control_characters, unreadable_text

Format = Literal["csv", "tsv", "json", "jsonl", "text"]

# A batch item is a rewrite: the request and context limits are rewriter.domain's.
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
        raise UnsupportedFormat(
            "file", "this looks like a spreadsheet workbook or another zip archive: export it as CSV"
        )
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


def read_backlog(
    binary: BinaryIO, *, filename: str | None = None, media_type: str | None = None, max_items: int | None = None
) -> tuple[Format, Iterator[BacklogItem]]:
    """The format of a seekable byte stream and its items, decoded as they are read.

    ``max_items`` lets a JSON object (``{"items": [...]}``) be refused as soon as it holds
    more, before any item is stored; every other format stops at :func:`checked_items`.
    """
    fmt = backlog_format(binary, filename=filename, media_type=media_type)
    if fmt == "json":
        return fmt, _read_json(binary, max_items=max_items)
    # utf-8-sig drops the byte-order mark Excel writes; newline="" lets csv see quoted line breaks.
    return fmt, _read_items(io.TextIOWrapper(binary, encoding="utf-8-sig", newline=""), fmt)


def _read_items(stream: TextIO, fmt: Format) -> Iterator[BacklogItem]:
    """The items in ``stream``, unchecked (see :func:`checked_items`)."""
    readers: dict[Format, Callable[[TextIO], Iterator[BacklogItem]]] = {
        "csv": partial(_read_table, delimiter=","),
        "tsv": partial(_read_table, delimiter="\t"),
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
            raise _too_many(max_items)
        yield _checked(item)
    if count == 0:
        raise BatchInputError("items", "there are no items: the input is empty or has only a header or blank lines")


def _checked(item: BacklogItem) -> BacklogItem:
    request = item.request.strip()
    if not request:
        raise BatchInputError(item.where, f"{item.where}: the request is empty")
    if (why := unreadable_text(request)) is not None:
        raise BatchInputError(item.where, f"{item.where}: the request {why}")
    if item.context and control_characters(item.context):
        raise BatchInputError(
            item.where, f"{item.where}: the context contains control characters (such as NUL); send plain text"
        )
    context = (item.context or "").strip() or None
    item_id = (item.id or "").strip() or None
    for name, text, limit in (
        ("request", request, MAX_REQUEST_CHARS),
        ("context", context, MAX_CONTEXT_CHARS),
        ("id", item_id, MAX_ID_CHARS),
    ):
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
                    where=f"row {number}",
                    request=_cell(row, text) or "",
                    context=_cell(row, context),
                    id=_cell(row, item_id),
                )
    except csv.Error as exc:
        raise BatchInputError(f"row {reader.line_num}", f"row {reader.line_num}: {exc}") from exc


def _cell(row: list[str], index: int | None) -> str | None:
    """A short row (a spreadsheet drops trailing empty cells) just lacks the cell."""
    return row[index] if index is not None and index < len(row) else None


def _too_many(max_items: int) -> BatchTooLarge:
    return BatchTooLarge("items", f"a batch holds at most {max_items:,} items; split the backlog into smaller batches")


_NESTING = {"start_map": 1, "start_array": 1, "end_map": -1, "end_array": -1}
_VALUE_STARTS = frozenset({"start_map", "start_array", "string", "number", "boolean", "null"})


def json_object_fields(payload: bytes, *, max_items: int | None = None) -> dict[str, Any]:
    """The top-level fields of a JSON object other than ``items``, and a check of ``items``.

    One streaming pass: each other field's value is built (they are small), the items are
    only counted, and the pass stops with :class:`BatchTooLarge` at the first item past
    ``max_items``, so a body of millions of tiny items costs no more than the limit's worth.
    Raises ``ijson.JSONError`` for text that is not JSON, ``BatchInputError`` for a document
    that is not an object with an ``items`` array.
    """
    fields: dict[str, Any] = {}
    builder: ijson.ObjectBuilder | None = None
    building, depth, items_seen, count = "", 0, False, 0
    for prefix, event, value in ijson.parse(payload, use_float=True):
        if builder is not None:  # inside another field's value: build it
            builder.event(event, value)
            depth += _NESTING.get(event, 0)
            if depth == 0:
                fields[building], builder = builder.value, None
        elif prefix == "":
            if event == "map_key" and value == "items":
                items_seen = True
            elif event == "map_key":
                building, builder, depth = value, ijson.ObjectBuilder(), 0
            elif event not in ("start_map", "end_map"):
                raise BatchInputError("body", 'expected a JSON object: {"items": [...]}')
        elif prefix == "items" and event not in ("start_array", "end_array"):
            raise BatchInputError("items", "`items` must be an array")
        elif prefix == "items.item" and event in _VALUE_STARTS:
            count += 1
            if max_items is not None and count > max_items:
                raise _too_many(max_items)
    if not items_seen:
        raise BatchInputError("items", 'expected {"items": [...]}: the `items` array is missing')
    return fields


def json_items(payload: bytes, prefix: str) -> Iterator[Any]:
    """The values at ``prefix`` (``"item"`` for an array, ``"items.item"`` in an object), one at a time."""
    yield from ijson.items(payload, prefix, use_float=True)


_BOM = b"\xef\xbb\xbf"
_JSON_SHAPES = 'expected a JSON array of items (e.g. a GitHub issues export) or {"items": [...]}'


def _read_json(binary: BinaryIO, *, max_items: int | None = None) -> Iterator[BacklogItem]:
    # The bytes are held (as the caller already holds them to name the submission); the items
    # are not: they are built one at a time.
    payload = binary.read().removeprefix(_BOM)
    shape = payload.lstrip()[:1]
    try:
        if shape == b"{":
            try:
                fields = json_object_fields(payload, max_items=max_items)
            except BatchTooLarge:
                raise
            except BatchInputError as exc:
                raise BatchInputError("file", f"{_JSON_SHAPES}: {exc.message}") from exc
            if "options" in fields:
                raise BatchInputError(
                    "options", "options in an uploaded file are not read: pass them as query parameters or CLI flags"
                )
            prefix = "items.item"
        elif shape == b"[":
            prefix = "item"
        else:
            raise BatchInputError("file", _JSON_SHAPES)
        for index, value in enumerate(json_items(payload, prefix)):
            yield _item_from_json(value, f"items[{index}]")
    except ijson.JSONError as exc:
        raise BatchInputError("file", f"the file is not valid JSON: {exc}") from exc


def _read_json_lines(stream: TextIO) -> Iterator[BacklogItem]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BatchInputError(f"line {number}", f"line {number}: not valid JSON: {exc}") from exc
        except RecursionError as exc:
            raise BatchInputError(f"line {number}", f"line {number}: the JSON is nested too deeply to read") from exc
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
            where,
            f"{where}: no field holds the item: expected one of {', '.join(TEXT_FIELDS)}; found "
            f"{', '.join(map(repr, value)) or 'none'}",
        )

    def field(index: int | None, kinds: tuple[type, ...]) -> Any:
        if index is None:
            return None
        key = keys[names[index]]
        found = value[key]
        if found is not None and (not isinstance(found, kinds) or isinstance(found, bool)):
            raise BatchInputError(
                where, f"{where}: `{key}` must be {'text' if kinds == (str,) else 'text or a number'}"
            )
        return found

    request = field(text, (str,))
    found_id = field(item_id, (str, int))
    return BacklogItem(
        where=where,
        request=request or "",
        context=field(context, (str,)),
        id=None if found_id is None else str(found_id),
    )
