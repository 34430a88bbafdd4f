"""`letrade bench` commands: reproducible throughput and latency runs, output as JSON.

One command per mode of ``letrade_cli.bench.modes`` (its one-line help comes from there); each
parses its own sizes, calls ``letrade_cli.bench.<mode>`` and hands the document to ``_publish``
(tables, ``--compare``, ``--json``, ``--out``, ``--html``). ``all`` runs every registered mode;
``soak`` is a command of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from letrade_cli.bench.modes import mode
from letrade_cli.cli.help import examples

if TYPE_CHECKING:
    from letrade_cli.bench.output import OutputOptions

bench_app = typer.Typer(
    help="Reproducible throughput and latency benchmarks (JSON on stdout with --json).",
    no_args_is_help=True,
)

# The flags every mode shares.
JsonOpt = Annotated[bool, typer.Option("--json", help="Write the JSON document to stdout.")]
OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="Also write the JSON document here.")
]
CompareOpt = Annotated[
    Path | None,
    typer.Option("--compare", help="A saved --out file: print each metric's change against it."),
]
FailOverOpt = Annotated[
    float | None,
    typer.Option(
        "--fail-over",
        metavar="PCT",
        help="With --compare: exit 1 when any metric is worse by more than PCT percent.",
    ),
]
LoopOpt = Annotated[
    str, typer.Option(help="Event loop: auto (uvloop if installed), asyncio, uvloop.")
]
SimPinOpt = Annotated[
    bool, typer.Option("--pin/--no-pin", help="Pin client and sim to different CPUs.")
]
HtmlOpt = Annotated[
    Path | None,
    typer.Option("--html", help="Write one self-contained HTML page (charts, offline)."),
]


def _options(
    json_output: bool,
    out: Path | None,
    compare: Path | None,
    fail_over: float | None,
    html: Path | None,
) -> OutputOptions:
    from letrade_cli.bench.output import OutputOptions

    return OutputOptions(json_output, out, compare, fail_over, html)


def _publish(
    run: Callable[[Callable[[str], None]], dict[str, Any]], options: OutputOptions
) -> dict[str, Any]:
    """Check the shared flags, run the mode, publish; exit 1 on a regression past --fail-over."""
    from letrade_cli.bench.output import publish
    from letrade_cli.core.errors import LetradeError, UsageError
    from letrade_cli.ui.console import err_console

    try:
        saved = options.validate()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    console = err_console()
    try:
        doc = run(lambda msg: console.print(msg, style="dim", highlight=False))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    except (OSError, RuntimeError, TimeoutError) as exc:
        raise LetradeError(f"benchmark failed: {exc}") from exc
    comparison = publish(doc, options, saved)
    if comparison is not None and comparison.failed:
        worse = ", ".join(c.name for c in comparison.regressions)
        raise LetradeError(
            f"worse than {options.compare} by more than {options.fail_over:g} %: {worse}",
            hint="see the comparison above",
        )
    return doc


INGEST_HELP = (
    f"{mode('ingest').summary}\n\n"
    "A loopback server in its own process blasts pre-built bookTicker/trade frames; "
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
        ("letrade bench ingest --json --out ingest.json", "the full run, JSON kept"),
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
    json_output: JsonOpt = False,
    out: OutOpt = None,
    compare: CompareOpt = None,
    fail_over: FailOverOpt = None,
    html: HtmlOpt = None,
) -> None:
    """Full ingest path against bare WebSocket clients (help text: ``INGEST_HELP``)."""
    from letrade_cli.bench.ingest.run import ALL_CLIENTS, IngestBenchConfig, run_ingest_benchmark

    chosen = tuple(c.strip() for c in clients.split(",") if c.strip()) if clients else ALL_CLIENTS
    config = IngestBenchConfig(
        messages=messages, symbols=symbols, repeat=repeat, clients=chosen, loop=loop, pin=pin
    )
    options = _options(json_output, out, compare, fail_over, html)
    if markdown is not None:
        from letrade_cli.core.files import check_writable

        check_writable(markdown, "--markdown")
    doc = _publish(lambda say: run_ingest_benchmark(config, progress=say), options)
    if markdown is not None:
        from letrade_cli.bench.ingest.report import markdown as to_markdown
        from letrade_cli.core.files import write_output

        write_output(markdown, to_markdown(doc), "the table")


@bench_app.command(
    "cache",
    help=mode("cache").summary,
    epilog=examples(
        ("letrade bench cache", "PriceCache beside cachetools.TTLCache, Zipf symbol mix"),
        ("letrade bench cache --symbols 2000 --json", "more symbols than the cache holds"),
    ),
)
def cache(
    ops: Annotated[
        int, typer.Option("--ops", "-n", min=1, help="Operations per timed loop.")
    ] = 200_000,
    symbols: Annotated[
        int, typer.Option("--symbols", "-s", min=1, help="Distinct keys (symbols).")
    ] = 200,
    zipf_s: Annotated[
        float, typer.Option("--zipf-s", help="Zipf exponent of the symbol mix (1.1: skewed).")
    ] = 1.1,
    repeat: Annotated[
        int, typer.Option("--repeat", "-r", min=1, help="Rounds; the median is reported.")
    ] = 5,
    json_output: JsonOpt = False,
    out: OutOpt = None,
    compare: CompareOpt = None,
    fail_over: FailOverOpt = None,
    html: HtmlOpt = None,
) -> None:
    """PriceCache beside cachetools.TTLCache (help text: ``mode("cache").summary``)."""
    from letrade_cli.bench.cache import CacheBenchConfig, run_cache_benchmark

    config = CacheBenchConfig(ops=ops, symbols=symbols, zipf_s=zipf_s, repeat=repeat)
    options = _options(json_output, out, compare, fail_over, html)
    _publish(lambda say: run_cache_benchmark(config, progress=say), options)


@bench_app.command(
    "startup",
    help=mode("startup").summary,
    epilog=examples(
        ("letrade bench startup", "letrade --help and two subcommands beside python -c pass"),
        ("letrade bench startup --out startup.json", "keep it to --compare later"),
    ),
)
def startup(
    runs: Annotated[
        int, typer.Option("--runs", "-n", min=1, help="Counted runs per command.")
    ] = 10,
    json_output: JsonOpt = False,
    out: OutOpt = None,
    compare: CompareOpt = None,
    fail_over: FailOverOpt = None,
    html: HtmlOpt = None,
) -> None:
    """Wall time of ``letrade ... --help`` (help text: ``mode("startup").summary``)."""
    from letrade_cli.bench.startup import StartupBenchConfig, run_startup_benchmark

    config = StartupBenchConfig(runs=runs)
    options = _options(json_output, out, compare, fail_over, html)
    _publish(lambda say: run_startup_benchmark(config, progress=say), options)


@bench_app.command(
    "order",
    help=mode("order").summary,
    epilog=examples(
        ("letrade bench order", "pooled vs new connection, signed vs unsigned, to the sim"),
        ("letrade bench order -n 5000 --compare order.json --fail-over 20", "a CI gate"),
    ),
)
def order(
    requests: Annotated[
        int, typer.Option("--requests", "-n", min=1, help="Counted requests per series.")
    ] = 1000,
    warmup: Annotated[
        int, typer.Option(min=0, help="Requests per series left out of the figures.")
    ] = 50,
    loop: LoopOpt = "auto",
    pin: SimPinOpt = True,
    json_output: JsonOpt = False,
    out: OutOpt = None,
    compare: CompareOpt = None,
    fail_over: FailOverOpt = None,
    html: HtmlOpt = None,
) -> None:
    """REST round trips to the sim (help text: ``mode("order").summary``)."""
    from letrade_cli.bench.order import OrderBenchConfig, run_order_benchmark

    config = OrderBenchConfig(requests=requests, warmup=warmup, loop=loop, pin=pin)
    options = _options(json_output, out, compare, fail_over, html)
    _publish(lambda say: run_order_benchmark(config, progress=say), options)


@bench_app.command(
    "replay",
    help=mode("replay").summary
    + "\n\nEach input is replayed by `letrade dryrun --data STORE --speed max` in a fresh "
    "process with sma-cross and no risk throttle; per run the engine's rows/s, wall time, peak "
    "RSS, fills and ledger size; the figures are the median run. The peers' figures are the "
    "ones issue 18 measured on this machine (not rerun).",
    epilog=examples(
        ("letrade bench replay", "1,000,000 quotes and 525,600 1m bars, 3 runs each"),
        ("letrade bench replay --quotes 100000 --bars 20000 --runs 1", "a quick look"),
    ),
)
def replay(
    quotes: Annotated[int, typer.Option(min=200, help="Quote rows (two symbols).")] = 1_000_000,
    bars: Annotated[int, typer.Option(min=100, help="1-minute candles (one symbol).")] = 525_600,
    runs: Annotated[int, typer.Option(min=1, help="Runs per input; the median is reported.")] = 3,
    keep: Annotated[
        Path | None, typer.Option(help="Keep the store, ledgers and outputs here.")
    ] = None,
    json_output: JsonOpt = False,
    out: OutOpt = None,
    compare: CompareOpt = None,
    fail_over: FailOverOpt = None,
    html: HtmlOpt = None,
) -> None:
    """Store replays at full speed (help text: ``mode("replay").summary``)."""
    from letrade_cli.bench.replay import ReplayBenchConfig, run_replay_benchmark

    config = ReplayBenchConfig(quotes=quotes, bars=bars, runs=runs, keep_dir=keep)
    options = _options(json_output, out, compare, fail_over, html)
    _publish(lambda say: run_replay_benchmark(config, progress=say), options)


@bench_app.command(
    "e2e",
    help=mode("e2e").summary,
    epilog=examples(
        ("letrade bench e2e --rates 0,10000 --duration 5", "two background rates, 5 s each"),
        ("letrade bench e2e --html e2e.html", "per-stage latency histograms, one page"),
        ("letrade bench e2e --rates 10000 --order-transport ws", "orders over the WS API only"),
    ),
)
def e2e(
    duration: Annotated[
        float, typer.Option("--duration", "-d", min=0.1, help="Seconds measured per level.")
    ] = 10.0,
    rates: Annotated[
        str, typer.Option(help="Background rates (msg/s), comma-separated; 0: triggers only.")
    ] = "0,1000,10000,50000",
    order_rate: Annotated[
        float, typer.Option(min=0.1, help="At most this many orders per second.")
    ] = 20.0,
    warmup: Annotated[
        int, typer.Option(min=0, help="Orders per level left out of the figures.")
    ] = 10,
    order_transport: Annotated[
        str,
        typer.Option(
            help="Orders over rest (signed HTTP), ws (the WebSocket API) or both, side by side."
        ),
    ] = "both",
    loop: LoopOpt = "auto",
    pin: SimPinOpt = True,
    json_output: JsonOpt = False,
    out: OutOpt = None,
    compare: CompareOpt = None,
    fail_over: FailOverOpt = None,
    html: HtmlOpt = None,
) -> None:
    """Exchange event to sim ack, per stage (help text: ``mode("e2e").summary``)."""
    from letrade_cli.bench.e2e import (
        E2EBenchConfig,
        parse_rates,
        parse_transports,
        run_e2e_benchmark,
    )

    options = _options(json_output, out, compare, fail_over, html)

    def run(say: Callable[[str], None]) -> dict[str, Any]:
        config = E2EBenchConfig(
            rates=parse_rates(rates),
            duration=duration,
            order_rate=order_rate,
            warmup=warmup,
            loop=loop,
            pin=pin,
            transports=parse_transports(order_transport),
        )
        return run_e2e_benchmark(config, progress=say)

    _publish(run, options)


@bench_app.command(
    "restart",
    help=mode("restart").summary
    + "\n\nPer trial: `letrade trade run` with an order-heavy strategy behind a fault proxy; "
    "0.2-3 s after its first order intent it is killed with SIGKILL (then --resume) or its "
    "network goes down or stalls for 0.1-5 s; then SIGTERM. Counts duplicated, orphaned, "
    "untracked and left-open orders, lost and double-counted fills, balance mismatches; "
    "restart -> reconciled p50/p99 per dialect.",
    epilog=examples(
        ("letrade bench restart --trials 20", "20 trials per dialect"),
        ("letrade bench restart --trials 500 --out restart.json", "the README's run"),
    ),
)
def restart(
    trials: Annotated[int, typer.Option("--trials", "-n", min=1, help="Trials per dialect.")] = 20,
    dialect: Annotated[
        str, typer.Option(help="A dialect of `letrade venues`, comma-separated, or both.")
    ] = "both",
    seed: Annotated[int, typer.Option(help="Seed of the faults' kinds and moments.")] = 1,
    workers: Annotated[int, typer.Option(min=1, help="Trials run at once.")] = 2,
    max_minutes: Annotated[
        float, typer.Option(min=0.0, help="Start no trial after this long (0: run them all).")
    ] = 0.0,
    keep: Annotated[
        Path | None, typer.Option(help="Keep every trial's ledger and JSON events here.")
    ] = None,
    json_output: JsonOpt = False,
    out: OutOpt = None,
    compare: CompareOpt = None,
    fail_over: FailOverOpt = None,
    html: HtmlOpt = None,
) -> None:
    """Chaos trials of `trade run` (help text: ``mode("restart").summary``)."""
    from letrade_cli.bench.restart import RestartBenchConfig, parse_dialects, run_restart_benchmark

    config = RestartBenchConfig(
        trials=trials,
        dialects=parse_dialects(dialect),
        seed=seed,
        workers=workers,
        keep_dir=keep,
        max_minutes=max_minutes,
    )
    options = _options(json_output, out, compare, fail_over, html)
    _publish(lambda say: run_restart_benchmark(config, progress=say), options)


@bench_app.command(
    "all",
    epilog=examples(
        ("letrade bench all --quick", "every mode, small sizes, well under a minute"),
        ("letrade bench all --out bench.json --html bench.html", "the full suite, kept"),
    ),
)
def run_all(
    quick: Annotated[
        bool, typer.Option("--quick", help="Small sizes: a smoke run in well under a minute.")
    ] = False,
    json_output: JsonOpt = False,
    out: OutOpt = None,
    compare: CompareOpt = None,
    fail_over: FailOverOpt = None,
    html: HtmlOpt = None,
) -> None:
    """Every mode in turn, one document, one claims table."""
    from letrade_cli.bench.suite import run_suite

    options = _options(json_output, out, compare, fail_over, html)
    _publish(lambda say: run_suite(quick=quick, progress=say), options)


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
    json_output: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Soak the stream path under injected faults (help text: ``SOAK_HELP``)."""
    import math

    from letrade_cli.bench.soak import SoakConfig, run_soak
    from letrade_cli.core.errors import LetradeError, UsageError
    from letrade_cli.core.files import check_writable, write_output
    from letrade_cli.runtime.process import RunContext, run
    from letrade_cli.ui.console import err_console

    if out is not None:
        check_writable(out, "--out")
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
    import json

    text = json.dumps(report, indent=2)
    from letrade_cli.bench.soak import render_soak

    render_soak(report, console)
    if json_output:
        typer.echo(text)
    if out is not None:
        write_output(out, text + "\n", "the results")
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.add_typer(bench_app, name="bench")
