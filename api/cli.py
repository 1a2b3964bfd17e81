"""The ``realise`` command: serve, rewrite, evaluate."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from typing import TypeVar

import msgspec
from rich.console import Console
from rich.table import Table

from api import batch_cli
from api.cli_options import add_rewrite_options
from api.config import ConfigError, Settings, load_settings
from api.schemas import EvaluationIn, RewriteIn
from rewriter.domain import RewriteResult
from rewriter.errors import UpstreamError

Body = TypeVar("Body", bound=msgspec.Struct)
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="realise", description="Turn outputs into outcomes.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        choices=range(1, 65),
        metavar="1-64",
        default=None,
        help="processes serving HTTP (default: REALISE_WEB_WORKERS, else 1)",
    )

    rewrite = commands.add_parser("rewrite", help="rewrite one request and print ranked candidates")
    rewrite.add_argument(
        "request", help="the output-style ask, e.g. 'Upgrade Elasticsearch' (at most 2,000 characters)"
    )
    rewrite.add_argument(
        "--context", help="why it was asked and who it serves: the answers to 'why?' (at most 4,000 characters)"
    )
    add_rewrite_options(rewrite)
    rewrite.add_argument("--json", action="store_true", help="print the API's JSON instead of a table")

    evaluate = commands.add_parser("evaluate", help="judge an objective and its key results")
    evaluate.add_argument("objective", help="the objective to judge (at most 2,000 characters)")
    evaluate.add_argument("--kr", action="append", default=[], help="a key result (repeatable, at most 10)")
    evaluate.add_argument("--context", help="why the objective was set: figures in it count as measured")
    evaluate.add_argument(
        "--request", help="the request the objective was written for (finds echoes and invented figures)"
    )
    evaluate.add_argument(
        "--mission", choices=("delivery", "discovery"), help="judge research key results as right for discovery"
    )
    evaluate.add_argument("--json", action="store_true", help="print the API's JSON instead of a table")

    commands.add_parser("mcp", help="serve the rewrite and evaluate tools to AI assistants over MCP (stdio)")

    worker = commands.add_parser(
        "worker",
        help="run batch items from the job queue, on any machine (needs REALISE_DATABASE_URL: PostgreSQL)",
        description="Take batch items from the queue in the database until stopped. SIGTERM or Ctrl-C drains the "
        "worker: it takes no new item and exits once those in progress are done (docs/operations.md).",
    )
    worker.add_argument(
        "--concurrency", type=int, choices=range(1, 1001), metavar="1-1000", default=None,
        help="items in progress in this process at once (default: twice REALISE_BATCH_CONCURRENCY); "
        "model calls are bounded by REALISE_BATCH_CONCURRENCY across all workers",
    )  # fmt: skip

    commands.add_parser(
        "migrate", help="bring the database's schema up to date and exit (serve and worker also do it when they start)"
    )

    batch_cli.add_parser(commands)
    return parser


def _checked(kind: type[Body], **fields: object) -> Body:
    """The arguments checked by the API's own request type: the same limits and text rules."""
    try:
        return msgspec.convert({name: value for name, value in fields.items() if value is not None}, kind)
    except msgspec.ValidationError as exc:
        message = str(exc)
        where = re.search(r" - at `\$\.([^`]+)`$", message)
        raise InvalidArguments(f"{where.group(1)}: {message[: where.start()]}" if where else message) from exc


class InvalidArguments(Exception):
    """Arguments the API would refuse with a 422; the CLI exits 2, as argparse does."""


def _findings_text(findings) -> str:
    return "\n".join(f"[{SEVERITY_STYLE[f.severity]}]{f.severity}[/] {f.code}: {f.message}" for f in findings) or "—"


def _print_rewrite(result: RewriteResult, console: Console) -> None:
    a = result.assessment
    console.print(
        f"[bold]You asked for an {a.kind}[/] (mission: {result.mission}; engine: "
        f"{result.engine.provider}/{result.engine.model})"
    )
    for finding in a.findings:
        console.print(f"  [{SEVERITY_STYLE[finding.severity]}]{finding.code}[/]: {finding.message}")
    table = Table(show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("objective and key results")
    table.add_column("findings")
    for c in result.candidates:
        body = f"[bold]{c.objective}[/]\n" + "\n".join(f"• {kr.text}" for kr in c.key_results)
        findings = [
            *c.evaluation.objective.findings,
            *(f for kr in c.evaluation.key_results for f in kr.findings),
            *c.evaluation.findings,
        ]
        table.add_row(str(c.rank), f"{c.score:.2f}", body, _findings_text(findings))
    console.print(table)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    options: dict = dict(
        host=args.host, port=args.port, log_config=None, access_log=False, timeout_graceful_shutdown=30
    )
    workers = args.workers or settings.web_workers
    if workers == 1:
        from api.app import create_served_app

        uvicorn.run(create_served_app(settings), **options)
        return 0
    # Each worker process builds its own app from the environment (uvicorn spawns them). They
    # share the port, the database file (one of them runs the batches) and, through this
    # directory, the Prometheus metrics; each keeps its own rate limits and circuit breaker.
    # An operator's own PROMETHEUS_MULTIPROC_DIR is used as it is (and left in place).
    own_dir = None if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else tempfile.mkdtemp(prefix="realise-metrics-")
    if own_dir is not None:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = own_dir
    try:
        uvicorn.run("api.app:create_served_app", factory=True, workers=workers, **options)
    finally:
        if own_dir is not None:
            shutil.rmtree(own_dir, ignore_errors=True)
    return 0


def _rewrite(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """One rewrite. stdout carries only the result (the JSON, or the table); log lines and
    errors go to stderr, so ``realise rewrite --json | jq`` always parses."""
    from api.observability import configure_logging
    from api.services import build_services

    checked = _checked(
        RewriteIn,
        request=args.request,
        context=args.context,
        mission=args.mission,
        candidates=args.candidates,
        key_results=args.key_results,
    )
    spec = checked.spec()
    errors = Console(stderr=True)
    configure_logging(
        fmt=settings.log_format, level=settings.log_level, secrets=[settings.openai_api_key or ""], stream=sys.stderr
    )

    async def run() -> RewriteResult:
        services = build_services(settings)
        try:
            return await services.pipeline.rewrite(spec)
        finally:
            await services.close()  # the model client's connection pool, or Python warns of it at exit

    try:
        result = asyncio.run(run())
    except UpstreamError as exc:
        errors.print(f"[red]model error:[/] {exc.message}")
        return 1
    if args.json:
        sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    else:
        _print_rewrite(result, console)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    console = Console()
    try:
        settings = load_settings()
    except ConfigError as exc:
        Console(stderr=True).print(f"[red]configuration error:[/] {exc}")
        return 2

    if args.command == "serve":
        return _serve(args, settings)

    if args.command == "mcp":
        from api.mcp_server import serve_stdio

        serve_stdio(settings)
        return 0

    try:
        if args.command == "rewrite":
            return _rewrite(args, settings, console)
        if args.command == "evaluate":
            return _evaluate(args, settings, console)
    except InvalidArguments as exc:
        Console(stderr=True).print(f"[red]invalid input:[/] {exc}")
        return 2

    if args.command == "batch":
        return batch_cli.run(args, settings, parser)
    if args.command == "worker":
        return _worker(args, settings)
    if args.command == "migrate":
        return _migrate(settings, console)
    return 2


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from api.observability import configure_logging
    from api.services import run_item_worker

    if not settings.database_url:
        Console(stderr=True).print(
            "[red]realise worker needs a shared database:[/] set REALISE_DATABASE_URL=postgresql://… "
            "(with the SQLite file, `realise serve` runs the batches itself)"
        )
        return 2
    configure_logging(fmt=settings.log_format, level=settings.log_level, secrets=[settings.openai_api_key or ""])
    asyncio.run(run_item_worker(settings, concurrency=args.concurrency or 2 * settings.batch_concurrency))
    return 0


def _migrate(settings: Settings, console: Console) -> int:
    from rewriter.database import Database
    from rewriter.migrations import current, head

    database = Database.open(settings.database)
    try:
        with database.reader() as connection:
            console.print(f"{database.description}: schema version {current(connection)} (newest: {head()})")
    finally:
        database.close()
    return 0


def _evaluate(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from api.services import rules_in_force
    from evaluators import evaluate

    checked = _checked(
        EvaluationIn,
        objective=args.objective,
        key_results=args.kr,
        context=args.context,
        request=args.request,
        mission=args.mission,
    )
    evaluation = evaluate(
        checked.objective,
        checked.key_results,
        context=checked.context,
        request=checked.request,
        mission=checked.mission,
        config=rules_in_force(settings),
    )
    if args.json:
        sys.stdout.write(msgspec.json.encode(evaluation).decode() + "\n")
        return 0 if evaluation.passed else 1  # the same exit code as the table's
    console.print(
        f"[bold]{evaluation.objective.kind}[/] objective, score {evaluation.score:.2f}, "
        f"{'passed' if evaluation.passed else 'not passed'}"
    )
    table = Table()
    table.add_column("text")
    table.add_column("kind")
    table.add_column("findings")
    table.add_row(evaluation.objective.text, evaluation.objective.kind, _findings_text(evaluation.objective.findings))
    for kr in evaluation.key_results:
        table.add_row(kr.text, f"{kr.kind}{'' if kr.measurable else ', unmeasurable'}", _findings_text(kr.findings))
    if evaluation.findings:
        table.add_row("(the set)", "", _findings_text(evaluation.findings))
    console.print(table)
    return 0 if evaluation.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
