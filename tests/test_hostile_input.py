"""Input that used to cost the service memory, a 500 or a wrong answer, each as it was reported.

Findings 6–9 of the attack on a fresh clone (issue 14); 1–2 are in test_fault_isolation.py,
3 in test_tenancy.py, 4–5 in test_storage_faults.py.
"""

from __future__ import annotations

import json

import pytest
from litestar.testing import TestClient

import rewriter.batch.formats as formats
from api.app import create_app
from api.cli import main as cli_main
from api.config import Settings
from api.schemas import EvaluationIn, FeedbackIn, RewriteIn, max_body_bytes

REWRITE = {"request": "Upgrade Elasticsearch"}


@pytest.fixture
def client(tmp_path):
    settings = Settings(engine="offline", db_path=str(tmp_path / "r.db"), log_format="json", batch_max_items=50)
    with TestClient(app=create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


# --- 6. limits before work ---------------------------------------------------------------------


def test_too_many_tiny_items_are_refused_before_any_item_is_built(client, monkeypatch):
    built = []
    real_items = formats.ijson.items
    monkeypatch.setattr(formats.ijson, "items", lambda *a, **k: (built.append(1), real_items(*a, **k))[1])
    body = b'{"items":[' + b'{"request":"a"},' * 200_000 + b'{"request":"a"}], "options": {"candidates": 2}}'
    problem = _problem(client.post("/v1/batches", content=body, headers={"content-type": "application/json"}), 413)
    assert "at most 50 items" in problem["detail"]
    assert built == []  # the counting pass refused it; no item was decoded whole


def test_a_json_batch_is_still_read_whole_and_typed(client):
    body = {
        "options": {"candidates": 2},
        "items": [
            {"id": 7, "request": "Upgrade Elasticsearch"},
            {"request": "Add SSO", "context": "enterprise deals stall"},
        ],
    }
    created = client.post("/v1/batches", json=body)
    assert created.status_code == 202, created.text
    assert created.json()["total"] == 2 and created.json()["options"]["candidates"] == 2
    wrong = client.post("/v1/batches", json={"items": [{"request": "a"}, {"request": 5}]})
    assert _problem(wrong, 422)["errors"][0]["field"] == "items[1].request"
    unknown = client.post("/v1/batches", json={"items": [{"request": "a"}], "option": {}})
    assert "option" in _problem(unknown, 422)["errors"][0]["message"]
    quoted = client.post("/v1/batches", json={"items": [{"request": "a"}], "options": {"candidates": "2"}})
    assert _problem(quoted, 422)["errors"][0]["field"] == "options.candidates"


@pytest.mark.parametrize("body", ['{"items": 5}', '{"items": [{"request": "a"}', "[1, 2"])
def test_broken_json_batches_are_client_errors(client, body):
    response = client.post("/v1/batches", content=body, headers={"content-type": "application/json"})
    assert response.status_code in (400, 422), response.text


@pytest.mark.parametrize("characters", ["图", "🚀"])
def test_body_caps_count_characters_however_they_are_escaped(client, characters):
    # Every character escaped (\\uXXXX, or a surrogate pair for 🚀): the body is many times the
    # field limits in bytes, yet within them in characters, so it is served.
    body = json.dumps({"request": "Upgrade " + characters * 1992, "context": characters * 4000}, ensure_ascii=True)
    assert client.post("/v1/rewrites", content=body, headers={"content-type": "application/json"}).status_code == 200
    over = json.dumps({"request": "x" * 2001})
    assert _problem(client.post("/v1/rewrites", content=over, headers={"content-type": "application/json"}), 422)


def test_body_caps_follow_the_field_limits():
    # A field limit raised without the cap would be refused as 413 before it is read.
    assert max_body_bytes(RewriteIn) >= (2000 + 4000) * 12
    assert max_body_bytes(EvaluationIn) >= (2000 + 10 * 1000 + 4000 + 2000) * 12
    assert max_body_bytes(FeedbackIn) >= (64 + 2000 + 1000) * 12


# --- 7. 500s from input -----------------------------------------------------------------------

DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize(
    ("path", "body", "media"),
    [
        ("/v1/rewrites", DEEP, "application/json"),
        ("/v1/rewrites", '{"request": ' + DEEP + "}", "application/json"),
        ("/v1/evaluations", DEEP, "application/json"),
        ("/v1/feedback", DEEP, "application/json"),
        ("/v1/batches", DEEP, "application/json"),
        ("/v1/batches", '{"items": ' + DEEP + "}", "application/json"),
        ("/v1/batches", '{"items": [' + DEEP + "]}", "application/json"),
        ("/v1/batches", '{"request": ' + "[" * 3000 + "]" * 3000 + "}\n", "application/x-ndjson"),
        ("/v1/batches", '{"items": [{"request": ' + DEEP + "}]}", "text/plain"),
    ],
)
def test_deeply_nested_json_is_a_client_error(client, path, body, media):
    response = client.post(path, content=body, headers={"content-type": media})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", ["/realise.js%00.html", "/%00", "/v1/batches/bat_1%00", "/app.js%0a"])
def test_a_control_character_in_the_path_is_not_found(client, path):
    problem = _problem(client.get(path), 404)
    assert "control character" in problem["detail"]
    assert client.get("/health").status_code == 200


# --- 8. wrong or unclear answers ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["\x00", "\x00\x00\x00", "\x01\x02", "😀😀", "\u200b\u200b", "\u200b \ufeff", "🚀 ✨"])
def test_text_with_no_words_is_refused(client, text):
    problem = _problem(client.post("/v1/rewrites", json={"request": text}), 422)
    assert problem["errors"][0]["field"] == "request"
    assert _problem(client.post("/v1/evaluations", json={"objective": text}), 422)["errors"][0]["field"] == "objective"
    batch = client.post("/v1/batches", json={"items": [REWRITE, {"request": text}]})
    assert _problem(batch, 422)["errors"][0]["field"] == "items[1]"


@pytest.mark.parametrize("text", ["Upgrade\x00 Elasticsearch", "Upgrade Elasticsearch\x1b[31m"])
def test_control_characters_inside_text_are_refused(client, text):
    assert _problem(client.post("/v1/rewrites", json={"request": text}), 422)
    assert _problem(client.post("/v1/rewrites", json={**REWRITE, "context": text}), 422)


@pytest.mark.parametrize("text", ["数据库升级到 PostgreSQL 16", "🚀 Launch the beta", "Добавить SSO", "Ship v2\tnow"])
def test_words_in_any_script_are_read(client, text):
    assert client.post("/v1/rewrites", json={"request": text}).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"), [("candidates", "3"), ("candidates", 2.0), ("key_results", "4"), ("candidates", True)]
)
def test_numbers_must_be_json_numbers(client, field, value):
    problem = _problem(client.post("/v1/rewrites", json={**REWRITE, field: value}), 422)
    assert problem["errors"][0]["field"] == field


def test_numbers_that_are_numbers_still_work(client):
    response = client.post("/v1/rewrites", json={**REWRITE, "candidates": 2, "key_results": 4})
    assert response.status_code == 200
    assert all(len(c["key_results"]) <= 4 for c in response.json()["candidates"])


@pytest.mark.parametrize(
    ("content", "media"),
    [("request=Upgrade+Elasticsearch", "application/x-www-form-urlencoded"), ('{"request": "x"}', "text/plain")],
)
def test_a_body_that_is_not_json_is_an_unsupported_media_type(client, content, media):
    for path in ("/v1/rewrites", "/v1/evaluations", "/v1/feedback"):
        problem = _problem(client.post(path, content=content, headers={"content-type": media}), 415)
        assert "application/json" in problem["detail"]


def test_json_with_a_charset_or_a_json_suffix_is_json(client):
    for media in ("application/json; charset=utf-8", "application/vnd.api+json"):
        assert (
            client.post("/v1/rewrites", content=json.dumps(REWRITE), headers={"content-type": media}).status_code == 200
        )


def test_results_answer_the_accept_header(client):
    batch = client.post("/v1/batches", json={"items": [REWRITE]}).json()
    results = f"/v1/batches/{batch['id']}/results"
    for accept in ("application/xml", "application/json", "image/png"):
        problem = _problem(client.get(results, headers={"accept": accept}), 406)
        assert "text/csv" in problem["detail"]
    assert client.get(results, headers={"accept": ""}).headers["content-type"].startswith("application/x-ndjson")
    assert client.get(results, headers={"accept": "*/*"}).headers["content-type"].startswith("application/x-ndjson")
    csv = client.get(results, headers={"accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"] == f'attachment; filename="{batch["id"]}-results.csv"'


def test_every_response_says_nosniff_and_deny_framing(client):
    for response in (client.get("/health"), client.get("/"), client.post("/v1/rewrites", json={}), client.get("/nope")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


def test_cors_responses_vary_by_origin_whether_or_not_it_matches(tmp_path):
    settings = Settings(engine="offline", db_path=str(tmp_path / "r.db"), cors_origins="https://plan.example")
    with TestClient(app=create_app(settings)) as cors_client:
        for origin in ("https://plan.example", "https://elsewhere.example"):
            response = cors_client.post("/v1/rewrites", json=REWRITE, headers={"origin": origin})
            assert "origin" in response.headers["vary"].lower()
        allowed = cors_client.get("/health", headers={"origin": "https://plan.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://plan.example"
        refused = cors_client.get("/health", headers={"origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in refused.headers


# --- 9. the CLI checks what the API checks -----------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["rewrite", ""],
        ["rewrite", "a" * 2001],
        ["rewrite", "😀"],
        ["rewrite", "Upgrade Elasticsearch", "--context", "x" * 4001],
        ["evaluate", ""],
        ["evaluate", "   "],
        ["evaluate", "Grow weekly active teams", "--kr", ""],
        ["evaluate", "Grow weekly active teams", *(["--kr", "Churn falls from 5% to 3% by June"] * 11)],
    ],
)
def test_the_cli_refuses_what_the_api_refuses(argv, capsys, monkeypatch):
    monkeypatch.setenv("REALISE_ENGINE", "offline")
    assert cli_main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "invalid input" in captured.err


def test_every_command_and_option_has_help_and_every_argument_is_described():
    """Walks the whole command tree: each command has help and the exit codes; each option has
    help; each positional argument is named, in capitals, in its command's help."""
    import click

    from api.cli import EXIT_CODES, cli

    def walk(command, path):
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    missing = []
    commands = list(walk(cli, ["realise"]))
    assert {" ".join(path) for path, _ in commands} >= {
        "realise serve", "realise rewrite", "realise evaluate", "realise batch", "realise worker", "realise migrate",
    }  # fmt: skip
    for path, command in commands:
        where = " ".join(path)
        if not (command.help or "").strip():
            missing.append(f"{where}: no help")
        if not (command.epilog or "").startswith("Exit codes:"):
            missing.append(f"{where}: no exit codes")
        for param in command.params:
            if isinstance(param, click.Option) and not param.help:
                missing.append(f"{where} {param.opts}: no help")
            if isinstance(param, click.Argument) and param.name.upper() not in (command.help or ""):
                missing.append(f"{where} {param.name}: not described")
    assert missing == []
    assert "130 interrupted" in EXIT_CODES


def test_version_and_help_answer_without_settings(capsys, monkeypatch):
    from importlib.metadata import version

    from api.cli import main

    monkeypatch.setenv("REALISE_BATCH_CONCURRENCY", "not a number")  # settings are not read for these
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"realise {version('realise')}"
    assert main(["batch", "--help"]) == 0
    assert "--token-budget" in capsys.readouterr().out
    assert main(["rewrite", "x", "--candidates", "9"]) == 2  # out of the API's range: refused by the parser
    assert "--candidates" in capsys.readouterr().err
    assert main(["rewrite", "x"]) == 2  # the bad setting: a configuration error naming the variable
    assert "REALISE_BATCH_CONCURRENCY" in capsys.readouterr().err
