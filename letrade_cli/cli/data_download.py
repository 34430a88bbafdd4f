"""`letrade data download`: history from a venue's REST API into the store, resumable."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from letrade_cli.cli.data import StoreOption, data_app
from letrade_cli.cli.help import examples


@data_app.command(
    "download",
    epilog=examples(
        (
            "letrade data download --symbols BTCUSDT ETHUSDT --from 2026-11-01 --to 2026-12-01",
            "a month of 1m candles from the sim into the store; rerun to resume",
        ),
        (
            "letrade data download --symbols BTCUSDT --kind candles:1h --from 2026-01-01 "
            "--to 2026-12-01 --json",
            "hourly candles for 11 months; one JSON line per day, then the summary",
        ),
    ),
)
def download(
    venue: Annotated[
        str, typer.Option("--venue", help="A venue (`letrade venues` lists them).")
    ] = "sim",
    symbols: Annotated[
        list[str] | None,
        typer.Option("--symbols", help="Symbols to download (repeat the flag, or list them)."),
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="candles:INTERVAL (candles:1m), aggTrades or trades.")
    ] = "candles:1m",
    start: Annotated[str, typer.Option("--from", help="First UTC day, YYYY-MM-DD.")] = "",
    end: Annotated[str, typer.Option("--to", help="End UTC day (exclusive), YYYY-MM-DD.")] = "",
    store: StoreOption = None,
    rest_url: Annotated[
        str | None,
        typer.Option("--rest-url", help="The venue's REST base URL (e.g. a running letrade sim)."),
    ] = None,
    json_lines: Annotated[
        bool, typer.Option("--json", help="One JSON object per partition, then the summary.")
    ] = False,
    extra: Annotated[list[str] | None, typer.Argument(hidden=True)] = None,
) -> None:
    """Download history into the store, one file per (symbol, UTC day); a rerun resumes.

    Complete days (data.parquet) are skipped without a request; today is written as
    partial.parquet and replaced once the day is over.
    """
    from letrade_cli.core.errors import UsageError
    from letrade_cli.data.download import Job, date_range, store_kind
    from letrade_cli.data.store import Store
    from letrade_cli.venues.registry import venue_spec

    names = [*(symbols or []), *(extra or [])]  # --symbols BTCUSDT ETHUSDT
    if not names:
        raise UsageError("no symbols given", hint="--symbols BTCUSDT ETHUSDT")
    if not start or not end:
        raise UsageError("--from and --to are required", hint="--from 2026-11-01 --to 2026-12-01")
    if rest_url is not None and not rest_url.startswith(("http://", "https://")):
        raise UsageError(f"--rest-url {rest_url!r} is not http:// or https://")
    job = Job(
        spec=venue_spec(venue),
        kind=store_kind(kind),
        symbols=names,
        start_ns=date_range(start, end)[0],
        end_ns=date_range(start, end)[1],
        store=Store(store),
        rest_url=rest_url,
    )
    code = _run(job, json_lines)
    raise typer.Exit(code)


def _run(job: Any, json_lines: bool) -> int:
    import asyncio

    import orjson

    from letrade_cli.data.download import Partition, days, download

    total = len(job.symbols) * len(days(job.start_ns, job.end_ns))
    tty = sys.stderr.isatty() and not json_lines
    progress: Any = None
    task: Any = None
    if tty:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        from letrade_cli.ui.console import err_console

        progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console(),
            transient=True,
        )
        task = progress.add_task(f"{job.spec.name} {job.kind}", total=total)
        progress.start()

    def on_partition(part: Partition) -> None:
        if json_lines:
            sys.stdout.write(orjson.dumps(part.as_dict()).decode() + "\n")
        elif tty:
            progress.update(task, advance=1, description=f"{part.symbol} {part.date}")
        else:
            sys.stdout.write(f"{part.status:8} {part.symbol} {part.date} rows={part.rows}\n")
        sys.stdout.flush()

    try:
        summary = asyncio.run(download(job, on_partition=on_partition))
    finally:
        if progress is not None:
            progress.stop()
    for where in summary.no_data:
        sys.stderr.write(f"warning: no data for {job.kind} {where}\n")
    if json_lines:
        sys.stdout.write(orjson.dumps({"summary": summary.as_dict()}).decode() + "\n")
    sys.stderr.write(
        f"{job.spec.name} {job.kind}: {summary.written} written, {summary.partial} partial, "
        f"{summary.skipped} skipped, {summary.empty} without data; {summary.rows} rows, "
        f"{summary.requests} requests, weight {summary.weight}, "
        f"{summary.elapsed_s:.1f}s -> {job.store.root}\n"
    )
    return 0
