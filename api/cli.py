"""The ``realise`` command (Click, with rich help): serve, rewrite, evaluate, batch, worker, migrate, mcp."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any, TypeVar

import msgspec
import rich_click as click
from click.exceptions import Exit
from rich.console import Console
from rich.table import Table

from api import batch_cli
from api.cli_options import rewrite_options
from api.config import ConfigError, Settings, load_settings
from api.schemas import EvaluationIn, RewriteIn
from rewriter.domain import RewriteResult
from rewriter.errors import StorageUnavailable, UpstreamError

Body = TypeVar("Body", bound=msgspec.Struct)
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


EXIT_CODES = (
    "Exit codes: 0 success; 1 a failure the command reports (a model error, an objective that does not pass, "
    "a batch with failed items); 2 invalid arguments, input or configuration; 130 interrupted."
)
click.rich_click.TEXT_MARKUP = "markdown"


def settings_or_exit() -> Settings:
    """The settings from the environment; a bad value ends the command with exit code 2, naming the variable."""
    try:
        return load_settings()
    except ConfigError as exc:
        Console(stderr=True).print(f"[red]configuration error:[/] {exc}")
        raise Exit(2) from exc


@click.group(epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="realise", prog_name="realise", message="%(prog)s %(version)s")
def cli() -> None:
    """Turn output-style requests into outcome-focused objectives and key results, judged by rule-based evaluators.

    Settings come from the environment (`REALISE_*`, and the OpenAI SDK's own `OPENAI_*`): see the README's
    configuration table.
    """


@cli.command(epilog=EXIT_CODES)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (the default: this machine only)."
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes serving HTTP (default: REALISE_WEB_WORKERS, else 1).",
)
def serve(**options: Any) -> int:
    """Run the HTTP API."""
    return _serve(SimpleNamespace(**options), settings_or_exit())


@cli.command(epilog=EXIT_CODES)
@click.argument("request")
@click.option("--context", help="Why it was asked and who it serves: the answers to 'why?' (at most 4,000 characters).")
@rewrite_options
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON instead of a table.")
def rewrite(**options: Any) -> int:
    """Rewrite one REQUEST and print ranked candidates.

    REQUEST is the output-style ask, e.g. 'Upgrade Elasticsearch' (at most 2,000 characters).
    """
    options["json"] = options.pop("as_json")
    return _invalid_input_is_2(_rewrite, SimpleNamespace(**options))


@cli.command(epilog=EXIT_CODES)
@click.argument("objective")
@click.option("--kr", multiple=True, help="A key result (repeatable, at most 10).")
@click.option("--context", help="Why the objective was set: figures in it count as measured.")
@click.option("--request", help="The request the objective was written for (finds echoes and invented figures).")
@click.option(
    "--mission", type=click.Choice(["delivery", "discovery"]), help="Judge research key results as right for discovery."
)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON instead of a table.")
def evaluate(**options: Any) -> int:
    """Judge an OBJECTIVE and its key results; exits 1 when the set does not pass.

    OBJECTIVE is the objective to judge (at most 2,000 characters).
    """
    options["json"] = options.pop("as_json")
    options["kr"] = list(options["kr"])
    return _invalid_input_is_2(_evaluate, SimpleNamespace(**options))


@cli.command(epilog=EXIT_CODES)
def mcp() -> int:
    """Serve the rewrite and evaluate tools to AI assistants over MCP (stdio)."""
    from api.mcp_server import serve_stdio

    serve_stdio(settings_or_exit())
    return 0


@cli.command(epilog=EXIT_CODES)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1000),
    default=None,
    help="Items in progress in this process at once (default: twice REALISE_BATCH_CONCURRENCY); "
    "model calls are bounded by REALISE_BATCH_CONCURRENCY across all workers.",
)
def worker(**options: Any) -> int:
    """Run batch items from the job queue, on any machine (needs REALISE_DATABASE_URL: PostgreSQL).

    Takes batch items from the queue in the database until stopped. SIGTERM or Ctrl-C drains the worker: it takes
    no new item and exits once those in progress are done (docs/operations.md).
    """
    return _worker(SimpleNamespace(**options), settings_or_exit())


@cli.command(epilog=EXIT_CODES)
def migrate() -> int:
    """Bring the database's schema up to date and exit (serve and worker also do it when they start)."""
    return _migrate(settings_or_exit(), Console())


cli.add_command(batch_cli.batch_command)


def _invalid_input_is_2(command: Callable[[SimpleNamespace, Settings, Console], int], args: SimpleNamespace) -> int:
    try:
        return command(args, settings_or_exit(), Console())
    except InvalidArguments as exc:
        Console(stderr=True).print(f"[red]invalid input:[/] {exc}")
        return 2


def _checked(kind: type[Body], **fields: object) -> Body:
    """The arguments checked by the API's own request type: the same limits and text rules."""
    try:
        return msgspec.convert({name: value for name, value in fields.items() if value is not None}, kind)
    except msgspec.ValidationError as exc:
        message = str(exc)
        where = re.search(r" - at `\$\.([^`]+)`$", message)
        raise InvalidArguments(f"{where.group(1)}: {message[: where.start()]}" if where else message) from exc


class InvalidArguments(Exception):
    """Arguments the API would refuse with a 422; the CLI exits 2, as for a usage error."""


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


def _serve(args: SimpleNamespace, settings: Settings) -> int:
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


def _rewrite(args: SimpleNamespace, settings: Settings, console: Console) -> int:
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
    """The ``realise`` command; returns its exit code (EXIT_CODES)."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="realise", standalone_mode=False)
    except click.ClickException as exc:  # a usage error (exit 2), as the parser reports it
        exc.show()
        return exc.exit_code
    except Exit as exc:
        return exc.exit_code
    except StorageUnavailable as exc:  # the database could not be opened: say which and why, no traceback
        Console(stderr=True).print(f"[red]database unavailable:[/] {exc.message}")
        return 1
    except (click.Abort, KeyboardInterrupt):
        Console(stderr=True).print("[yellow]interrupted[/]")
        return 130
    return result if isinstance(result, int) else 0


def _worker(args: SimpleNamespace, settings: Settings) -> int:
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


def _evaluate(args: SimpleNamespace, settings: Settings, console: Console) -> int:
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
