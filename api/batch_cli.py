"""``realise batch FILE``: rewrite a whole backlog with a progress bar, in-process or on a server.

In-process (the default) it uses the same database as the server (``REALISE_DB_PATH``, or
``REALISE_DATABASE_URL``, whose workers then run it), so
a run that was interrupted continues with ``--resume``; with ``--url`` it submits the file to
a running server and follows the batch there. Either way the output file has the columns of
GET /v1/batches/{id}/results.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any, TypeVar

import httpx
import msgspec
import rich_click as click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from api.batch_views import BatchView, batch_view
from api.cli_options import rewrite_options
from api.config import Settings
from api.observability import configure_logging
from rewriter.batch.errors import BatchInputError
from rewriter.batch.export import OutputFormat, encode_pages
from rewriter.batch.formats import MEDIA_TYPE_OF, Format, backlog_format, checked_items, input_digest, read_backlog
from rewriter.batch.model import UNFINISHED, Batch, BatchOptions

POLL_SECONDS = 0.25
EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_READ_CHUNK = 1 << 20


@click.command(
    "batch",
    epilog="Exit codes: 0 every item done; 1 some items failed (each row says why) or the server answered "
    "with an error; 2 invalid arguments or an unreadable file; 130 interrupted (run again with --resume).",
)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write one row per item here (default: standard output).",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["csv", "jsonl"]),
    help="Output format (default: from --out's extension, else jsonl).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    metavar="N",
    help="Model calls in flight (default: REALISE_BATCH_CONCURRENCY); in-process only.",
)
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    metavar="N",
    help="Worker processes for the items, 0: this one (default: REALISE_BATCH_WORKERS); in-process only.",
)
@click.option("--resume", is_flag=True, help="Continue the last batch made from this file, retrying its failed items.")
@click.option("--url", help="Run on this realise server instead of in-process.")
@click.option("--api-key", help="Key for --url (default: REALISE_API_KEY).")
@rewrite_options
@click.option(
    "--token-budget",
    type=click.IntRange(min=1),
    metavar="TOKENS",
    help="Stop the batch once it has used this many tokens.",
)
def batch_command(**options: Any) -> int:
    """Rewrite a whole backlog file: CSV, TSV, JSON, JSON lines, or text with one item per line.

    FILE is the backlog: CSV/TSV with a header (a request, summary, title or story column), a
    JSON array or object with items, JSON lines, or text with one item per line.
    """
    from api.cli import settings_or_exit

    options["format"] = options.pop("format_")
    return run(SimpleNamespace(**options), settings_or_exit())


def run(args: SimpleNamespace, settings: Settings) -> int:
    """The batch command's work; ``args`` as the command's options name them."""
    if args.url and args.concurrency:
        raise click.UsageError("--concurrency applies in-process only; a server uses its REALISE_BATCH_CONCURRENCY")
    if args.url and args.workers is not None:
        raise click.UsageError("--workers applies in-process only; a server uses its REALISE_BATCH_WORKERS")
    # Warnings only: the progress bar already says what the info lines would, and they would tear it.
    configure_logging(fmt=settings.log_format, level="WARNING", secrets=[settings.openai_api_key or ""])
    console = Console(stderr=True)
    options = BatchOptions(
        mission=args.mission, candidates=args.candidates, key_results=args.key_results, token_budget=args.token_budget
    )
    output: OutputFormat = args.format or ("csv" if args.out and args.out.suffix.lower() == ".csv" else "jsonl")
    try:
        if args.url:
            return _Remote(args, console, api_key=args.api_key or settings.api_key).run(options, output)
        if args.concurrency:
            settings = msgspec.structs.replace(settings, batch_concurrency=args.concurrency)
        if args.workers is not None:
            settings = msgspec.structs.replace(settings, batch_workers=args.workers)
        # Worker processes log as this one does (above), to the same terminal.
        settings = msgspec.structs.replace(settings, log_level="WARNING")
        return asyncio.run(_run_local(args, settings, options, output, console))
    except BatchInputError as exc:
        console.print(f"[red]cannot read {args.file}:[/] {exc.message}")
        return EXIT_USAGE
    except OSError as exc:
        console.print(f"[red]{exc}[/]")
        return EXIT_USAGE
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: done items are kept; run the same command with --resume to continue")
        return EXIT_INTERRUPTED


def _file_digest(path: Path, fmt: Format, options: BatchOptions) -> str:
    with path.open("rb") as file:
        return input_digest(fmt, iter(lambda: file.read(_READ_CHUNK), b""), options)


@contextmanager
def _output(path: Path | None) -> Iterator[IO[bytes]]:
    if path is None:
        yield sys.stdout.buffer
        return
    with path.open("wb") as file:
        yield file


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02}:{whole % 60:02}"


async def _follow(read: Callable[[], Awaitable[BatchView]], console: Console) -> BatchView:
    """Show progress until the batch ends; returns its last status."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} items/s"),
        TextColumn("ETA {task.fields[eta]}"),
        TextColumn("[red]{task.fields[failed]} failed"),
        TextColumn("[cyan]{task.fields[cached]} cached"),
        console=console,
    ) as progress:
        status = await read()
        task = progress.add_task(status.id, total=status.total, rate="-", eta=_clock(None), failed=0, cached=0)
        while True:
            rate = status.items_per_second
            progress.update(
                task, completed=status.done + status.failed, rate="-" if rate is None else f"{rate:.1f}",
                eta=_clock(status.eta_seconds), failed=status.failed, cached=status.cached,
            )  # fmt: skip
            if status.status not in UNFINISHED:
                return status
            await asyncio.sleep(POLL_SECONDS)
            status = await read()


def _summary(status: BatchView, completed: int, elapsed: float, out: Path | None, file: Path, console: Console) -> int:
    """``completed``: items this invocation finished (a resumed batch had some done already)."""
    table = Table(title=f"batch {status.id}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    rows = [
        ("status", status.status),
        ("items", f"{status.total:,}"),
        ("done", f"{status.done:,}"),
        ("cached (no model call)", f"{status.cached:,}"),
        ("failed", f"{status.failed:,}"),
        ("tokens", f"{status.tokens:,}"),
        ("elapsed", f"{elapsed:.1f} s"),
        ("items/s", f"{completed / elapsed:.1f}" if elapsed > 0 else "-"),
        ("results", str(out) if out else "standard output"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    if status.error:
        console.print(f"[red]{status.error}[/]")
    if status.failed or status.status != "done":
        console.print(f"retry the failed items with: realise batch {file} --resume")
        return EXIT_FAILURES
    return EXIT_OK


Resumable = TypeVar("Resumable", Batch, BatchView)


def _resume(earlier: Resumable | None, requeue: Callable[[str], Resumable], console: Console) -> Resumable | None:
    """What --resume continues: the newest batch made from the same input and options, queued
    again if it ended with items left; None when there is none (a new batch is stored)."""
    if earlier is None:
        return None
    console.print(f"resuming batch {earlier.id} ({earlier.done:,} of {earlier.total:,} done)")
    if earlier.status not in UNFINISHED and earlier.pending + earlier.failed:
        return requeue(earlier.id)
    return earlier


# --- in-process ----------------------------------------------------------------------------------


async def _run_local(
    args: SimpleNamespace, settings: Settings, options: BatchOptions, output: OutputFormat, console: Console
) -> int:
    # Imported here: the CLI's other commands need not pay for the web app's imports.
    from api.services import build_services

    services = build_services(settings)
    gc.collect()
    gc.freeze()  # what exists now lives until the batch ends; full collections need not re-scan it
    store, runner = services.batch_store, services.batch_runner
    started = time.monotonic()
    try:
        # Before anything is stored: a batch left queued here would be run by that other process.
        if not runner.claim():
            console.print(
                f"[red]{runner.holder()}.[/] Send the file to that server instead (--url URL), or stop it first."
            )
            return 2
        if runner.live_workers() == 0:
            console.print(
                "[yellow]No `realise worker` has sent a heartbeat lately:[/] the batch is stored and waits "
                "in the queue until one runs."
            )
        with args.file.open("rb") as file:
            fmt, items = read_backlog(file, filename=args.file.name)
            digest = _file_digest(args.file, fmt, options)
            earlier = store.find(limit=1, input_digest=digest) if args.resume else []
            resumed = _resume(earlier[0] if earlier else None, store.requeue, console)
            if resumed is not None:
                batch = resumed
            else:
                batch = store.create(
                    checked_items(items, max_items=settings.batch_max_items),
                    options=options, source=args.file.name, input_digest=digest,
                )  # fmt: skip
        running = asyncio.create_task(runner.run(batch.id)) if batch.status in UNFINISHED else None

        async def read() -> BatchView:
            if running is not None and running.done():
                running.result()  # a crash in the runner surfaces here, not as a silent hang
            return batch_view(store.get(batch.id))

        completed_before = batch.done + batch.failed
        try:
            status = await _follow(read, console)
        finally:
            if running is not None:
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)
        with _output(args.out) as out:
            for chunk in encode_pages(store.rows(batch.seq), output, batch_id=batch.id):
                out.write(chunk)
        completed = status.done + status.failed - completed_before
        return _summary(status, completed, time.monotonic() - started, args.out, args.file, console)
    finally:
        await services.close()


# --- against a server ----------------------------------------------------------------------------


class _ServerError(Exception):
    pass


class _Remote:
    def __init__(self, args: SimpleNamespace, console: Console, *, api_key: str | None) -> None:
        self.args = args
        self.console = console
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=args.url.rstrip("/"), headers=headers, timeout=60.0)

    def run(self, options: BatchOptions, output: OutputFormat) -> int:
        started = time.monotonic()
        try:
            with self.client, self.args.file.open("rb") as file:
                fmt = backlog_format(file, filename=self.args.file.name)
                batch = self._resumable(_file_digest(self.args.file, fmt, options)) if self.args.resume else None
                if batch is None:
                    query = {k: v for k, v in msgspec.to_builtins(options).items() if v is not None}
                    batch = self._view(
                        "POST", "/v1/batches", params=query,
                        files={"file": (self.args.file.name, file, MEDIA_TYPE_OF[fmt])},
                    )  # fmt: skip

                batch_id = batch.id

                async def read() -> BatchView:
                    return self._view("GET", f"/v1/batches/{batch_id}")

                completed_before = batch.done + batch.failed
                status = asyncio.run(_follow(read, self.console))
                accept = "text/csv" if output == "csv" else "application/x-ndjson"
                with self.client.stream(
                    "GET", f"/v1/batches/{status.id}/results", headers={"Accept": accept}
                ) as response:
                    self._check(response)
                    with _output(self.args.out) as out:
                        for chunk in response.iter_bytes():
                            out.write(chunk)
        except _ServerError as exc:
            self.console.print(f"[red]{exc}[/]")
            return EXIT_FAILURES
        completed = status.done + status.failed - completed_before
        return _summary(status, completed, time.monotonic() - started, self.args.out, self.args.file, self.console)

    def _resumable(self, digest: str) -> BatchView | None:
        found = self._call("GET", "/v1/batches", params={"input_digest": digest, "limit": 1})["batches"]
        earlier = msgspec.convert(found[0], BatchView) if found else None
        return _resume(earlier, lambda batch_id: self._view("POST", f"/v1/batches/{batch_id}/retry"), self.console)

    def _view(self, method: str, path: str, **kwargs: Any) -> BatchView:
        return msgspec.convert(self._call(method, path, **kwargs), BatchView)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise _ServerError(f"cannot reach {self.args.url}: {exc}") from exc
        self._check(response)
        return response.json()

    @staticmethod
    def _check(response: httpx.Response) -> None:
        if response.is_success:
            return
        response.read()
        try:
            problem = response.json()
            detail = problem.get("detail", response.text)
        except ValueError:
            detail = response.text
        raise _ServerError(f"the server answered {response.status_code}: {detail}")
