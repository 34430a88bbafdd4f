"""`letrade bench` commands: reproducible throughput and latency runs, output as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from letrade_cli.cli.help import examples

bench_app = typer.Typer(
    help="Reproducible throughput and latency benchmarks (JSON on stdout with --json).",
    no_args_is_help=True,
)


INGEST_HELP = (
    "Full ingest path (frame -> Tick -> cache -> bus) against bare WebSocket clients.\n\n"
    "A loopback server in its own process blasts pre-built Binance bookTicker/trade frames; "
    "every client runs in a fresh process over the same frames. "
    "Floors: server-capacity, picows-noop, letrade-transport. Baseline: websockets-json. "
    "Bare: websockets-orjson, aiohttp-orjson, picows-orjson. "
    "Full path: letrade-picows, letrade-websockets.\n\n"
    "The table goes to stderr; the JSON document to stdout with --json, and to --out."
)


@bench_app.command(
    "ingest",
    help=INGEST_HELP,
    epilog=examples(
        ("letrade bench ingest -n 100000 -s 50 -r 1", "a quick run, table on stderr"),
        ("letrade bench ingest --json --out bench.json", "the full run, JSON kept"),
    ),
)
def ingest(
    messages: Annotated[
        int, typer.Option("--messages", "-n", min=2, help="Messages per client run.")
    ] = 1_000_000,
    symbols: Annotated[
        int, typer.Option("--symbols", "-s", min=1, help="Symbols in the stream.")
    ] = 200,
    repeat: Annotated[
        int, typer.Option("--repeat", "-r", min=1, help="Runs per client; the median is reported.")
    ] = 3,
    json_output: Annotated[
        bool, typer.Option("--json", help="Write the JSON document to stdout.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also write the JSON document here.")
    ] = None,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Write the table as Markdown here.")
    ] = None,
    clients: Annotated[
        str | None,
        typer.Option(help="Comma-separated subset of clients (default: all, see --help text)."),
    ] = None,
    loop: Annotated[
        str,
        typer.Option(
            help="Event loop for the clients: auto (uvloop if installed), asyncio, uvloop."
        ),
    ] = "auto",
    pin: Annotated[
        bool, typer.Option("--pin/--no-pin", help="Pin client and server to different CPUs.")
    ] = True,
) -> None:
    """Full ingest path against bare WebSocket clients (help text: ``INGEST_HELP``)."""
    from letrade_cli.bench.ingest import ALL_CLIENTS, IngestBenchConfig, run_ingest_benchmark
    from letrade_cli.bench.report import markdown as to_markdown
    from letrade_cli.bench.report import render
    from letrade_cli.errors import LetradeError, UsageError
    from letrade_cli.ui.console import err_console

    chosen = tuple(c.strip() for c in clients.split(",") if c.strip()) if clients else ALL_CLIENTS
    config = IngestBenchConfig(
        messages=messages, symbols=symbols, repeat=repeat, clients=chosen, loop=loop, pin=pin
    )
    try:
        config.validate()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    console = err_console()
    try:
        doc = run_ingest_benchmark(config, progress=lambda msg: console.print(msg, style="dim"))
    except (OSError, RuntimeError, TimeoutError) as exc:
        raise LetradeError(f"benchmark failed: {exc}") from exc
    render(doc, console)
    text = json.dumps(doc, indent=2)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    if markdown is not None:
        markdown.write_text(to_markdown(doc), encoding="utf-8")
    if json_output:
        typer.echo(text)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.add_typer(bench_app, name="bench")
