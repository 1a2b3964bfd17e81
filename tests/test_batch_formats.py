"""Reading backlogs as people export them, and refusing what cannot be read, saying where."""

from __future__ import annotations

import io
import json
from pathlib import Path

import msgspec
import pytest

from api.schemas import RewriteIn
from rewriter.batch.errors import BatchInputError, BatchTooLarge, UnsupportedFormat
from rewriter.batch.formats import MAX_CONTEXT_CHARS, MAX_REQUEST_CHARS, checked_items, input_digest, read_backlog
from rewriter.batch.model import BacklogItem, BatchOptions

FIXTURES = Path(__file__).parent / "fixtures"


def read(data: str | bytes, *, filename: str | None = None, media_type: str | None = None, max_items: int = 10_000):
    raw = data.encode() if isinstance(data, str) else data
    fmt, items = read_backlog(io.BytesIO(raw), filename=filename, media_type=media_type)
    return fmt, list(checked_items(items, max_items=max_items))


def test_user_stories_are_read_one_per_line_and_kept_whole():
    fmt, items = read((FIXTURES / "user_stories.txt").read_bytes(), filename="user_stories.txt")
    assert fmt == "text" and len(items) == 20
    # The "so that" clause is the best clue to the outcome: it stays part of the request.
    assert items[0].request.startswith("As a Public User, I want to Search for Information, so that I can obtain")
    assert items[0].context is None and items[0].id is None


def test_jira_titles_in_tsv_take_their_issue_keys_as_ids():
    fmt, items = read((FIXTURES / "jira_titles.tsv").read_bytes(), filename="jira_titles.tsv")
    assert fmt == "tsv" and len(items) == 11
    assert items[0] == BacklogItem(
        where="row 2", request="Report executor terminations to framework schedulers.", id="MESOS-313"
    )


def test_a_jira_csv_export_gives_summary_as_request_and_description_as_context():
    export = (
        "\ufeffSummary,Issue key,Issue id,Issue Type,Description\r\n"
        '"Upgrade Elasticsearch",OPS-7,10007,Task,"It is out of support,\r\nand eats our time"\r\n'
        ",,,,\r\n"  # a blank row, as spreadsheets leave them
        "Build a chatbot,OPS-8,10008,Story\r\n"  # a short row: trailing empty cells dropped
    )
    fmt, items = read(export, media_type="text/csv; charset=utf-8")
    assert fmt == "csv"
    assert items == [
        BacklogItem(
            where="row 2",
            request="Upgrade Elasticsearch",
            context="It is out of support,\r\nand eats our time",
            id="OPS-7",
        ),
        BacklogItem(where="row 4", request="Build a chatbot", id="OPS-8"),
    ]


def test_a_github_issues_export_is_read_as_it_is():
    issues = [
        {"number": 12, "title": "Search is slow", "body": "People give up before results load", "state": "open"},
        {"number": 13, "title": "Dark mode", "body": None, "labels": []},
    ]
    fmt, items = read(json.dumps(issues), filename="issues.json")
    assert fmt == "json"
    assert items == [
        BacklogItem(where="items[0]", request="Search is slow", context="People give up before results load", id="12"),
        BacklogItem(where="items[1]", request="Dark mode", id="13"),
    ]


def test_json_lines_mix_objects_and_strings():
    data = '{"id": "a", "request": "Upgrade Elasticsearch", "context": "Out of support"}\n\n"Build a chatbot"\n'
    fmt, items = read(data)  # no name, no media type: the content says JSON lines
    assert fmt == "jsonl"
    assert [(i.id, i.request, i.context) for i in items] == [
        ("a", "Upgrade Elasticsearch", "Out of support"),
        (None, "Build a chatbot", None),
    ]


def test_plain_text_drops_list_markers_and_blank_lines():
    fmt, items = read(
        "- Upgrade Elasticsearch\n\n2. Build a chatbot\r\n  * Hire two analysts  \n", media_type="text/plain"
    )
    assert [(i.where, i.request) for i in items] == [
        ("line 1", "Upgrade Elasticsearch"),
        ("line 3", "Build a chatbot"),
        ("line 4", "Hire two analysts"),
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Summary,Key\nUpgrade Elasticsearch,OPS-1\n", "csv"),
        ("title\tkey\nUpgrade Elasticsearch\tOPS-1\n", "tsv"),
        ('  ["Upgrade Elasticsearch"]', "json"),
        ("Add login, logout and password reset\nUpgrade Elasticsearch\n", "text"),
    ],
)
def test_without_a_name_or_media_type_the_content_decides(data, expected):
    assert read(data, media_type="application/octet-stream")[0] == expected


LONG_REQUEST = "x" * (MAX_REQUEST_CHARS + 1)
LONG_CONTEXT = "y" * (MAX_CONTEXT_CHARS + 1)


@pytest.mark.parametrize(
    ("data", "source", "error", "field", "message"),
    [
        ("", {"media_type": "text/csv"}, BatchInputError, "items", "there are no items"),
        ("Summary,Description\n", {"media_type": "text/csv"}, BatchInputError, "items", "there are no items"),
        (b"PK\x03\x04\x14\x00", {"filename": "backlog.xlsx"}, UnsupportedFormat, "file", "export it as CSV"),
        (b"title\x00\x01\x02", {}, UnsupportedFormat, "file", "binary data"),
        (b"Caf\xe9 menu\n", {"filename": "backlog.txt"}, UnsupportedFormat, "file", "not UTF-8"),
        ("Upgrade Elasticsearch", {"filename": "backlog.pdf"}, UnsupportedFormat, "file", "cannot read .pdf files"),
        (
            "Upgrade Elasticsearch",
            {"media_type": "application/pdf"},
            UnsupportedFormat,
            "content-type",
            "cannot read application/pdf",
        ),
        ("Name,Owner\nSearch,Ops\n", {"media_type": "text/csv"}, BatchInputError, "header", "found 'Name', 'Owner'"),
        (
            f"title\nfine\n{LONG_REQUEST}\n",
            {"media_type": "text/csv"},
            BatchInputError,
            "row 3",
            "the request is 2,001 characters long; the limit is 2,000",
        ),
        (
            f'"ok"\n{json.dumps({"title": "t", "body": LONG_CONTEXT})}\n',
            {"filename": "b.jsonl"},
            BatchInputError,
            "line 2",
            "the context is 4,001 characters long",
        ),
        ("title,key\n,OPS-1\n", {"media_type": "text/csv"}, BatchInputError, "row 2", "the request is empty"),
        ('{"summary": "not a list"}', {"filename": "b.json"}, BatchInputError, "file", "expected a JSON array"),
        (
            '{"items": ["a"], "options": {"candidates": 2}}',
            {"filename": "b.json"},
            BatchInputError,
            "options",
            "query parameters or CLI flags",
        ),
        (
            '[{"number": 1, "state": "open"}]',
            {"filename": "b.json"},
            BatchInputError,
            "items[0]",
            "no field holds the item",
        ),
        ('[{"title": 5}]', {"filename": "b.json"}, BatchInputError, "items[0]", "`title` must be text"),
        ('"fine"\n{"title": \n', {"filename": "b.jsonl"}, BatchInputError, "line 2", "not valid JSON"),
    ],
)
def test_what_cannot_be_read_is_refused_naming_where(data, source, error, field, message):
    with pytest.raises(error) as raised:
        read(data, **source)
    assert type(raised.value) is error
    assert raised.value.field == field
    assert message in raised.value.message


def test_a_batch_holds_at_most_the_configured_number_of_items():
    assert len(read("a\nb\n", media_type="text/plain", max_items=2)[1]) == 2
    with pytest.raises(BatchTooLarge, match="at most 2 items"):
        read("a\nb\nc\n", media_type="text/plain", max_items=2)


def test_the_limits_are_those_of_a_single_rewrite():
    properties = msgspec.json.schema(RewriteIn)["$defs"]["RewriteIn"]["properties"]
    assert properties["request"]["maxLength"] == MAX_REQUEST_CHARS
    assert properties["context"]["anyOf"][0]["maxLength"] == MAX_CONTEXT_CHARS


def test_the_input_digest_names_bytes_format_and_options():
    digest = input_digest("csv", [b"title\n", b"Upgrade Elasticsearch\n"], BatchOptions())
    assert digest == input_digest("csv", [b"title\nUpgrade Elasticsearch\n"], BatchOptions())
    assert digest != input_digest("tsv", [b"title\nUpgrade Elasticsearch\n"], BatchOptions())
    assert digest != input_digest("csv", [b"title\nUpgrade Elasticsearch\n"], BatchOptions(candidates=2))
