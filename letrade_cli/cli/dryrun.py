"""`letrade dryrun`: run a strategy on paper over live or replayed prices; reports and a list."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from letrade_cli.cli.help import complete_profile, complete_run_ids, examples

dryrun_app = typer.Typer(
    help="Paper-trade a strategy on live or replayed prices, with a SQLite ledger and reports.",
    no_args_is_help=False,
    epilog=examples(
        (
            "letrade dryrun --minutes 10 --venue sim --symbols BTCUSDT,ETHUSDT",
            "SMA crossover on the embedded exchange, live view",
        ),
        (
            "letrade dryrun --hours 24 --replay ./candles --speed max --json",
            "a day of data-collector files in seconds, JSON events",
        ),
        (
            "letrade dryrun --hours 2 --replay ./candles --strategy sma-cross --param fast=5 "
            "--param slow=40",
            "a built-in with parameters over the profile's (`letrade strategy list`)",
        ),
        (
            "letrade dryrun --minutes 10 --venue sim -s BTCUSDT --strategy ./my_rsi.py:MyRsi",
            "your own class from a file (`letrade strategy new my_rsi` writes one)",
        ),
    ),
)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Ledger file (default: $LETRADE_DATA_DIR/dryrun.sqlite3, else "
        "~/.local/share/letrade/dryrun.sqlite3).",
    ),
]

RecordOption = Annotated[
    Path | None,
    typer.Option(
        "--record",
        help="Write every frame the live feed delivers to this file (replay it with --replay).",
    ),
]
NotifyOption = Annotated[
    str | None,
    typer.Option(
        "--notify",
        help="POST JSON to this webhook: start, end, halts, errors, reconciliation mismatches "
        "(default: profile trading.notify.url).",
    ),
]
NotifyFillsOption = Annotated[
    bool | None,
    typer.Option(
        "--notify-fills/--no-notify-fills", help="Post every fill too.", show_default=False
    ),
]
NotifyTokenOption = Annotated[
    str | None,
    typer.Option(
        "--notify-token-env",
        help="The environment variable holding the webhook's bearer token (never printed).",
    ),
]


def notify_settings(args: dict[str, Any], profile_notify: Any) -> Any:
    """The webhook settings from the flags over the profile's (None: no webhook)."""
    from letrade_cli.runtime.notify import resolve_notify

    return resolve_notify(
        args["notify"], args["notify_fills"], args["notify_token_env"], profile_notify
    )


# Options `dryrun` and `trade run` share (one engine, one set of words for it).
Hours = Annotated[float | None, typer.Option(help="Run for this many hours.")]
Minutes = Annotated[float | None, typer.Option(help="... plus this many minutes.")]
StrategyName = Annotated[
    str | None,
    typer.Option(
        help="sma-cross, mean-reversion, breakout, module:Class or path/to/file.py:Class "
        "(default: profile; `letrade strategy list`)."
    ),
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        help="A strategy parameter, NAME=VALUE, over the profile's trading.strategy.params "
        "(repeat; `letrade strategy list`).",
    ),
]
CloseAtEnd = Annotated[
    bool,
    typer.Option(
        "--close-at-end", help="Sell every position when the run completes (reason end-of-run)."
    ),
]
CloseOnHalt = Annotated[
    bool,
    typer.Option(
        "--close-on-halt", help="Sell every position when a loss limit halts the run (risk-halt)."
    ),
]
Symbols = Annotated[
    list[str] | None,
    typer.Option("--symbols", "-s", help="Symbols to trade (repeat, or comma-separated)."),
]
JsonEvents = Annotated[
    bool, typer.Option("--json", help="JSON events on stdout; summary on stderr.")
]
RunProfile = Annotated[
    str | None,
    typer.Option(
        "--profile",
        "-p",
        help="Profile name or path.",
        envvar="LETRADE_PROFILE",
        autocompletion=complete_profile,
    ),
]


def register(app: typer.Typer) -> None:
    """Add the ``dryrun`` group to the root app."""
    app.add_typer(dryrun_app, name="dryrun")


def _db(db: Path | None) -> Path:
    from letrade_cli.trading.ledger import default_db_path

    return db if db is not None else default_db_path()


def parse_balance(text: str) -> tuple[str, str | None]:
    """``10000USDT`` -> ("10000", "USDT"); ``5000`` -> ("5000", None)."""
    from letrade_cli.core.errors import UsageError

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    if not match or float(match[1]) <= 0:
        raise UsageError(f"--balance '{text}' is not an amount", hint="e.g. --balance 10000USDT")
    return match[1], match[2].upper() or None


def parse_when(text: str | None, option: str, *, end: bool = False) -> int | None:
    """Parse ``2026-11-01`` or ``2026-11-01T12:30[:00][Z]`` (UTC) into nanoseconds.

    A bare date given to ``--to`` means the end of that day (exclusive: the next midnight).
    """
    import calendar
    import time as _time

    from letrade_cli.core.errors import UsageError

    if text is None:
        return None
    value = text.strip().removesuffix("Z").replace(" ", "T")
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            parsed = _time.strptime(value, fmt)
        except ValueError:
            continue
        seconds = calendar.timegm(parsed) + (86_400 if end and fmt == "%Y-%m-%d" else 0)
        return seconds * 1_000_000_000
    raise UsageError(
        f"{option} {text!r} is not a UTC date or time", hint="e.g. 2026-11-01 or 2026-11-01T12:00"
    )


def parse_speed(text: str | None) -> float | None:
    """``max`` (or nothing) -> None (as fast as possible); else a positive factor."""
    from letrade_cli.core.errors import UsageError

    if text is None or text.lower() == "max":
        return None
    try:
        value = float(text.rstrip("xX"))
    except ValueError:
        value = 0.0
    if value <= 0:
        raise UsageError(f"--speed '{text}' is not valid", hint="use a factor like 60, or max")
    return value


@dryrun_app.callback(invoke_without_command=True)
def dryrun(
    ctx: typer.Context,
    hours: Hours = None,
    minutes: Minutes = None,
    strategy: StrategyName = None,
    param: ParamOption = None,
    close_at_end: CloseAtEnd = False,
    close_on_halt: CloseOnHalt = False,
    symbols: Symbols = None,
    venue: Annotated[
        str | None,
        typer.Option(
            help="Live feed: a venue name (`letrade venues`; default: profile, else sim)."
        ),
    ] = None,
    replay: Annotated[
        str | None,
        typer.Option(
            help="Replay stored data instead: a data-collector directory, s3://bucket/prefix, "
            "or a recorded frame file."
        ),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            metavar="STORE",
            is_flag=False,
            flag_value="",
            help="Replay the Parquet store instead (`letrade data ls`): its root, or nothing for "
            "the default store; with --symbols, --from, --to, --kind.",
        ),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            metavar="KIND",
            help="With --data: quotes, trades, aggtrades or candles_INTERVAL "
            "(default: the finest the store holds).",
        ),
    ] = None,
    from_: Annotated[
        str | None,
        typer.Option("--from", metavar="WHEN", help="With --data: from this UTC date/time."),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="WHEN", help="With --data: up to this UTC date/time."),
    ] = None,
    speed: Annotated[
        str | None,
        typer.Option(help="Replay speed: a factor (60 = an hour a minute) or max (default: max)."),
    ] = None,
    balance: Annotated[
        str | None, typer.Option(help="Starting cash, e.g. 10000USDT (default: profile).")
    ] = None,
    fee_bps: Annotated[
        float | None, typer.Option(help="Fee per fill in basis points (default: profile, 10).")
    ] = None,
    equity_every: Annotated[
        float | None,
        typer.Option(
            "--equity-every",
            metavar="SECONDS",
            min=1.0,
            help="Seconds of event time between equity rows (default: 60; 900 in a replay at "
            "full speed).",
        ),
    ] = None,
    db: DbOption = None,
    resume: Annotated[
        str | None, typer.Option(help="Continue this run (same cash, positions, orders).")
    ] = None,
    json_output: JsonEvents = False,
    record: RecordOption = None,
    notify: NotifyOption = None,
    notify_fills: NotifyFillsOption = None,
    notify_token_env: NotifyTokenOption = None,
    profile: RunProfile = None,
) -> None:
    """Run a strategy on paper for --hours/--minutes (or `report`, `list`)."""
    if ctx.invoked_subcommand is not None:
        return
    from dataclasses import asdict, replace

    from letrade_cli.config.trading import load_trading_settings
    from letrade_cli.core.errors import UsageError
    from letrade_cli.runtime.dryrun import DryRunOptions, run_dryrun
    from letrade_cli.trading.dryrun import DryRunConfig
    from letrade_cli.trading.strategies import load_strategy, merge_params, parse_params

    path = _db(db)
    wanted = [s.strip() for item in symbols or [] for s in item.split(",") if s.strip()]
    trading = load_trading_settings(profile)
    options = DryRunOptions(
        db=path,
        json_output=json_output,
        resume=resume,
        record=record,
        notify=notify_settings(locals(), trading.notify),
    )
    if resume is not None:
        if equity_every is not None:
            raise UsageError(
                "--equity-every is for a new run", hint="a resumed run keeps its stored interval"
            )
        if param:
            parse_params(param)
            raise UsageError(
                "--param is for a new run", hint="a resumed run keeps its stored parameters"
            )
        ledger = _open_existing(path)  # a mistyped --db must not leave an empty ledger behind
        try:
            run = ledger.run(resume)
        finally:
            ledger.close()
        config = DryRunConfig.from_dict(run["config"])
        _check_resume_flags(
            resume,
            config,
            replay=replay,
            data=data,
            venue=venue,
            symbols=[s.upper() for s in wanted],
            strategy=strategy,
        )
        if speed is not None:
            config.speed = parse_speed(speed)
        if not config.replay and config.data is None:
            options.stream_settings = _stream_settings(profile, config.venue, config.symbols)
        elif record is not None:
            raise UsageError("--record is for a live feed; this run replays stored data")
        raise typer.Exit(run_dryrun(config, options))

    if data is None and (kind or from_ or to):
        raise UsageError("--kind, --from and --to are for --data", hint="add --data [STORE]")
    if data is not None and replay:
        raise UsageError("--data and --replay both name the data", hint="give one of them")
    from_ns, to_ns = parse_when(from_, "--from"), parse_when(to, "--to", end=True)
    if from_ns is not None and to_ns is not None and from_ns >= to_ns:
        raise UsageError(f"--from {from_} is not before --to {to}")
    if kind is not None:
        from letrade_cli.data.schema import check_kind

        kind = check_kind(kind)  # candles:1m and candles_1m both name the 1m candles
    if hours is None and minutes is None and data is None:
        raise UsageError("how long? give --hours and/or --minutes", hint="e.g. --hours 24")
    duration_s = (hours or 0) * 3600 + (minutes or 0) * 60
    if hours is None and minutes is None:
        duration_s = 100 * 365 * 86_400  # a store replay runs to --to or the data's end
    for flag, value in (("--hours", hours), ("--minutes", minutes)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise UsageError(
                f"{flag} must be a finite number of 0 or more, got {value:g}",
                hint="e.g. --hours 24; a replay with no --hours runs to its data's end",
            )
    if duration_s <= 0:
        raise UsageError("--hours/--minutes must add up to more than 0")
    if fee_bps is not None and not (math.isfinite(fee_bps) and 0 <= fee_bps <= 10_000):
        raise UsageError(
            f"--fee-bps must be between 0 and 10000 basis points, got {fee_bps:g}",
            hint="e.g. --fee-bps 10 (0.1 %)",
        )
    name = strategy or trading.strategy.name
    profile_params = trading.strategy.params if name == trading.strategy.name else {}
    params = merge_params(name, profile_params, param)
    load_strategy(name, params)  # a bad name or parameter fails before anything starts
    amount, asset = parse_balance(balance or trading.paper.balance)
    settings: Any = None
    if not replay and data is None:
        settings = _stream_settings(profile, venue, wanted)
        wanted = wanted or list(settings.symbols)
        if not wanted:
            raise UsageError("no symbols given", hint="e.g. --symbols BTCUSDT,ETHUSDT")
        options.stream_settings = replace(settings, symbols=wanted)
    elif venue is not None:
        raise UsageError("--venue is for a live feed; a replay's venue comes from its data")
    elif record is not None:
        raise UsageError("--record is for a live feed", hint="--replay already reads stored data")
    config = DryRunConfig(
        strategy=name,
        params=dict(params),
        symbols=[s.upper() for s in wanted],
        venue=settings.venue if settings is not None else "replay",
        replay=replay,
        data=data,
        data_kind=kind,
        data_from_ns=from_ns,
        data_to_ns=to_ns,
        speed=parse_speed(speed),
        balance=amount,
        quote=asset
        or _quote_of(wanted, settings.venue if settings is not None else None)
        or "USDT",
        fee_bps=str(fee_bps if fee_bps is not None else trading.paper.fee_bps),
        slippage_bps=str(trading.paper.slippage_bps),
        duration_s=duration_s,
        risk=asdict(trading.risk),
        close_at_end=close_at_end,
        close_on_halt=close_on_halt,
        snapshot_s=equity_every or 0.0,
    )
    if settings is not None:
        options.ttl_ms = settings.cache.ttl_ms
    raise typer.Exit(run_dryrun(config, options))


def _quote_of(symbols: list[str], venue: str | None) -> str | None:
    """The one quote asset of ``symbols`` in the venue's format (a replay's: unambiguous only)."""
    from letrade_cli.core.errors import UsageError
    from letrade_cli.venues.registry import split_any, symbol_format

    quotes = set()
    for symbol in symbols:
        try:
            parts = (
                symbol_format(venue).split(symbol.upper()) if venue else split_any(symbol.upper())
            )
        except UsageError:
            parts = None
        quotes.add(parts[1] if parts else None)
    quote = quotes.pop() if len(quotes) == 1 else None
    return quote


def _check_resume_flags(run_id: str, config: Any, **given: Any) -> None:
    """A resumed run keeps its data, venue, symbols and strategy: a different one is refused.

    ``--resume R --replay FILE`` used to run on with the stored feed and end "0 ticks".
    """
    from letrade_cli.core.errors import UsageError

    for name, value in given.items():
        stored = getattr(config, name)
        if value is None or value == [] or value == stored:
            continue
        shown = ",".join(stored) if isinstance(stored, list) else stored
        raise UsageError(
            f"--{name} is for a new run: run {run_id} keeps its own "
            f"({name}: {shown if shown not in (None, '') else 'none'})",
            hint=f"drop --{name} to resume it, or start a new run",
        )


def _stream_settings(profile: str | None, venue: str | None, symbols: list[str]) -> Any:
    from dataclasses import replace

    from letrade_cli.config.stream import apply_environment, apply_flags, load_stream_settings

    if venue is None and profile is None and not os.environ.get("LETRADE_VENUE"):
        profile = "sim"  # the offline default: the sim profile's symbols, rate and seed
    settings = load_stream_settings(profile).validate()
    settings = apply_environment(settings)
    settings = apply_flags(settings, venue=venue, symbols=symbols or None)
    return replace(settings, source="command line or LETRADE_* environment").validate()


@dryrun_app.command(
    "report",
    epilog=examples(
        ("letrade dryrun report r1a2b3c4", "PnL, drawdown, Sharpe, fees, latency as a table"),
        ("letrade dryrun report r1a2b3c4 --html report.html", "one self-contained page"),
    ),
)
def report(
    run_id: Annotated[
        str,
        typer.Argument(
            help="The run (see `letrade dryrun list`).", autocompletion=complete_run_ids
        ),
    ],
    json_output: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
    csv_output: Annotated[
        bool,
        typer.Option(
            "--csv",
            help="The report as CSV on stdout: the metric,value summary, or the --table chosen.",
        ),
    ] = False,
    table: Annotated[
        str,
        typer.Option(
            "--table",
            help="With --csv: summary (default), trades (one row per round trip), symbols or "
            "reasons (by exit reason).",
        ),
    ] = "summary",
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML page here.")
    ] = None,
    vs: Annotated[
        str | None,
        typer.Option(
            "--vs",
            help="Another run (e.g. the paper replay of a live one): fills side by side, with "
            "the price difference per order in bps.",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """PnL, return, win rate, drawdown, Sharpe, fees, trades and latency of a run."""
    import orjson

    from letrade_cli.core.errors import UsageError
    from letrade_cli.trading.report import TABLES, build_report, table_csv, to_csv, write_html
    from letrade_cli.ui.console import err_console

    if json_output and csv_output:
        raise UsageError("--json and --csv exclude each other", hint="pick one output format")
    if table != "summary" and table not in TABLES:
        raise UsageError(
            f"unknown --table {table!r}", hint="use summary, trades, symbols or reasons"
        )

    if vs is not None:
        from letrade_cli.core.errors import UsageError

        if csv_output or html is not None:
            raise UsageError("--vs shows a table or --json", hint="drop --csv/--html")
        _compare(run_id, vs, json_output, db)
        return
    ledger = _open_existing(_db(db))
    try:
        data = build_report(ledger, run_id)
        if html is not None:
            write_html(ledger, run_id, html)
            err_console().print(f"wrote {html}", highlight=False, markup=False)
    finally:
        ledger.close()
    if json_output:
        typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
    elif csv_output:
        typer.echo(to_csv(data) if table == "summary" else table_csv(data, table), nl=False)
    elif html is None:
        from letrade_cli.ui.console import out_console
        from letrade_cli.ui.dryrun import report_table, report_tables

        console = out_console()
        console.print(report_table(data))
        for extra in report_tables(data):
            console.print(extra)


@dryrun_app.command(
    "compare",
    epilog=examples(
        ("letrade dryrun compare r1a2b3c4 r5e6f7a8", "a live run's fills beside its paper replay"),
    ),
)
def compare(
    run_id: Annotated[
        str,
        typer.Argument(
            help="The run measured (e.g. the live one).", autocompletion=complete_run_ids
        ),
    ],
    other: Annotated[
        str,
        typer.Argument(
            help="The run it is measured against (e.g. paper).", autocompletion=complete_run_ids
        ),
    ],
    json_output: Annotated[bool, typer.Option("--json", help="The comparison as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Two runs' fills matched order by order: prices, bps difference (worse for us +), fees."""
    _compare(run_id, other, json_output, db)


def _compare(run_id: str, other: str, json_output: bool, db: Path | None) -> None:
    import orjson

    from letrade_cli.trading.compare import compare_runs

    ledger = _open_existing(_db(db))
    try:
        data = compare_runs(ledger, run_id, other)
    finally:
        ledger.close()
    if json_output:
        typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return
    from letrade_cli.ui.console import out_console
    from letrade_cli.ui.dryrun import compare_table

    out_console().print(compare_table(data))


@dryrun_app.command(
    "list",
    epilog=examples(("letrade dryrun list", "every run in the default ledger, newest first")),
)
def list_runs(db: DbOption = None) -> None:
    """Every run in the ledger, newest first."""
    from letrade_cli.ui.console import out_console
    from letrade_cli.ui.dryrun import runs_table

    ledger = _open_existing(_db(db))
    try:
        runs = ledger.runs()
    finally:
        ledger.close()
    out_console().print(runs_table(runs))


def _open_existing(path: Path) -> Any:
    from letrade_cli.core.errors import UsageError
    from letrade_cli.trading.ledger import Ledger

    if not path.exists():
        raise UsageError(f"no ledger at {path}", hint="run `letrade dryrun` first, or pass --db")
    return Ledger(path, read_only=True)
