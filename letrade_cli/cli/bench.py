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


SOAK_HELP = (
    "The full stream path behind a fault injector, for minutes or hours.\n\n"
    "letrade sim runs in a child process; a loopback proxy between it and the stream cuts, "
    "stalls, corrupts or injects garbage frames every --every seconds, in turn. Reports each "
    "disconnect's recovery time (p50/p99/max), stall detection latency, gaps and missing "
    "messages counted vs an independent count, decode errors vs garbage injected, REST fills, "
    "and RSS/CPU every minute. Exits 1 if anything crashed, leaked or went uncounted."
)


@bench_app.command(
    "soak",
    help=SOAK_HELP,
    epilog=examples(
        ("letrade bench soak --minutes 1 --rate 2000", "a quick check: cuts, stalls, garbage"),
        (
            "letrade bench soak --minutes 10 --rate 20000 --faults cut,stall,garbage --every 10",
            "the 10-minute run in the README",
        ),
    ),
)
def soak(
    minutes: Annotated[float, typer.Option(help="How long to run.")] = 1.0,
    rate: Annotated[float, typer.Option(help="Messages per second from the sim.")] = 20_000.0,
    faults: Annotated[
        str, typer.Option(help="Comma-separated, in turn: cut, stall, garbage, corrupt.")
    ] = "cut,stall,garbage",
    every: Annotated[float, typer.Option(help="Seconds between two faults.")] = 10.0,
    symbols: Annotated[int, typer.Option(help="Symbols streamed (bookTicker + trade).")] = 10,
    sample_every: Annotated[float, typer.Option(help="Seconds between RSS/CPU samples.")] = 60.0,
    ws_backend: Annotated[
        str, typer.Option(help="WebSocket library: auto, picows or websockets.")
    ] = "auto",
    json_output: Annotated[
        bool, typer.Option("--json/--no-json", help="Write the JSON report to stdout.")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write it here.")] = None,
) -> None:
    """Soak the stream path under injected faults (help text: ``SOAK_HELP``)."""
    import math

    from letrade_cli.bench.soak import SoakConfig, run_soak
    from letrade_cli.errors import LetradeError, UsageError
    from letrade_cli.runtime.process import RunContext, run
    from letrade_cli.ui.console import err_console

    if math.isnan(sample_every) or sample_every <= 0:
        raise UsageError(f"--sample-every must be greater than 0, got {sample_every:g}")
    if ws_backend not in ("auto", "picows", "websockets"):
        raise UsageError(
            f"unknown --ws-backend '{ws_backend}'", hint="use auto, picows or websockets"
        )
    config = SoakConfig(
        minutes=minutes,
        rate=rate,
        faults=tuple(f.strip() for f in faults.split(",") if f.strip()),
        every_s=every,
        symbols=symbols,
        sample_every_s=sample_every,
        backend=ws_backend,
    )
    try:
        config.validate()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    console = err_console()
    report: dict[str, object] = {}

    async def main(context: RunContext) -> int:
        try:
            result = await run_soak(
                config, progress=lambda m: console.print(m, style="dim"), stop=context.stop
            )
        except (OSError, RuntimeError, TimeoutError) as exc:
            raise LetradeError(f"soak failed: {exc}") from exc
        report.update(result.as_dict())
        return 0 if result.passed else 1

    code = run(main)
    text = json.dumps(report, indent=2)
    from letrade_cli.bench.soak import render_soak

    render_soak(report, console)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    if json_output:
        typer.echo(text)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.add_typer(bench_app, name="bench")
