"""`letrade trade run`: the dry run's strategy on real orders, through the same engine.

The only difference from `letrade dryrun` is the venue object: a ``LiveVenue`` (signed orders,
pushed fills) instead of the paper broker. Runs are stored in the same ledger, marked live, and
`letrade dryrun report` / `list` read them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from letrade_cli.cli.dryrun import (
    CloseAtEnd,
    CloseOnHalt,
    Hours,
    JsonEvents,
    Minutes,
    NotifyFillsOption,
    NotifyOption,
    NotifyTokenOption,
    ParamOption,
    RecordOption,
    RunProfile,
    StrategyName,
    Symbols,
)
from letrade_cli.cli.help import complete_venues, env_note, examples

EXAMPLES = examples(
    (
        "letrade trade run --minutes 30 -s BTCUSDT",
        "SMA crossover on real orders on an embedded sim",
    ),
    (
        "letrade trade run --hours 24 -s BTCUSDT --profile my-testnet --json",
        "a day on a test network, JSON events (each client id before its send)",
    ),
    ("letrade trade run --resume r1a2b3c4", "reconcile with the venue, then carry on"),
    (
        "letrade trade run --hours 8 -s BTCUSDT -p my-venue --live --yes --max-loss 50",
        "real money from a script: halts after a 50 USDT loss",
    ),
)


def register(app: typer.Typer) -> None:
    """Add ``run`` to the ``trade`` group."""
    app.command("run", epilog=EXAMPLES)(run)


def run(
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
            "--venue",
            help="Where the orders go (`letrade venues`; default: profile, else sim)."
            + env_note("LETRADE_VENUE"),
            autocompletion=complete_venues,
        ),
    ] = None,
    rest_url: Annotated[
        str | None,
        typer.Option(
            "--rest-url", help="The venue's REST base URL." + env_note("LETRADE_REST_URL")
        ),
    ] = None,
    balance: Annotated[
        str | None,
        typer.Option(help="The run's capital, e.g. 1000USDT (default: profile's paper balance)."),
    ] = None,
    db: Annotated[Path | None, typer.Option("--db", help="Ledger file (as `dryrun`).")] = None,
    resume: Annotated[
        str | None, typer.Option(help="Reconcile this run with the venue, then carry on.")
    ] = None,
    on_mismatch: Annotated[
        str | None,
        typer.Option(
            help="What reconciliation does with differences the ledger cannot explain: halt or "
            "adopt (default: halt for real money, adopt on the sim and test networks)."
        ),
    ] = None,
    keep_orders: Annotated[
        bool, typer.Option(help="On Ctrl-C/SIGTERM leave the run's open orders on the venue.")
    ] = False,
    max_loss: Annotated[
        float | None, typer.Option(help="Halt when equity is this far below the start.")
    ] = None,
    max_orders_per_minute: Annotated[
        int | None, typer.Option(help="Refuse signals beyond this many orders a minute.")
    ] = None,
    max_open_orders: Annotated[
        int | None, typer.Option(help="Refuse signals while this many orders are open.")
    ] = None,
    order_transport: Annotated[
        str | None, typer.Option("--order-transport", help="auto, ws or rest (as `trade buy`).")
    ] = None,
    json_output: JsonEvents = False,
    record: RecordOption = None,
    notify: NotifyOption = None,
    notify_fills: NotifyFillsOption = None,
    notify_token_env: NotifyTokenOption = None,
    live: Annotated[bool, typer.Option("--live", help="Allow a real-money venue.")] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="Skip the typed confirmation of --live.")
    ] = False,
    profile: RunProfile = None,
) -> None:
    """Run a strategy on real orders for --hours/--minutes (the dry run's engine, live).

    Every order's intent is committed to the ledger before it is sent, and its client id is
    printed; every ack and fill is committed when seen.

    On start and on --resume the ledger is reconciled with the venue: unanswered orders are
    looked up by client id, missed fills recorded once, orphans with this run's prefix adopted,
    foreign orders left alone, balances compared.

    A strategy that raises stops the run (exit 1). Ctrl-C/SIGTERM cancels the run's open
    orders (unless --keep-orders) and exits 130/143. Real money needs --live and a typed
    confirmation (or --yes).
    """
    code = _start(locals())
    raise typer.Exit(code)


def _start(args: dict[str, Any]) -> int:
    from dataclasses import asdict, replace

    from letrade_cli.cli.dryrun import (
        _db,
        _quote_of,
        _stream_settings,
        notify_settings,
        parse_balance,
    )
    from letrade_cli.config.trading import load_trading_settings
    from letrade_cli.core.errors import UsageError
    from letrade_cli.runtime.dryrun import DryRunOptions, LiveSetup, run_dryrun
    from letrade_cli.runtime.trade import (
        TradeTarget,
        check_order_transport,
        confirm_live,
        resolve_venue,
    )
    from letrade_cli.trading.dryrun import DryRunConfig
    from letrade_cli.trading.keys import load_keys
    from letrade_cli.trading.ledger import Ledger
    from letrade_cli.trading.strategies import load_strategy, merge_params, parse_params

    path = _db(args["db"])
    wanted = [s.strip() for item in args["symbols"] or [] for s in item.split(",") if s.strip()]
    for name in ("max_loss", "max_orders_per_minute", "max_open_orders"):
        value = args[name]
        if value is not None and not (value >= 0 and value == value and value != float("inf")):
            raise UsageError(f"--{name.replace('_', '-')} must be a number >= 0")
    if args["on_mismatch"] not in (None, "halt", "adopt"):
        raise UsageError(f"unknown --on-mismatch '{args['on_mismatch']}'", hint="halt or adopt")
    transport = check_order_transport(args["order_transport"])
    config: DryRunConfig
    if args["resume"] is not None:
        if args["param"]:
            parse_params(args["param"])
            raise UsageError(
                "--param is for a new run", hint="a resumed run keeps its stored parameters"
            )
        ledger = Ledger(path)
        try:
            stored = ledger.run(args["resume"])
        finally:
            ledger.close()
        if stored.get("mode") != "live":
            raise UsageError(
                f"run {args['resume']} is a paper run",
                hint=f"resume it with `letrade dryrun --resume {args['resume']}`",
            )
        config = DryRunConfig.from_dict(stored["config"])
        args["venue"] = args["venue"] or config.venue
        if args["on_mismatch"] is not None:
            config.on_mismatch = args["on_mismatch"]
    target = TradeTarget(
        venue=args["venue"],
        rest_url=args["rest_url"],
        profile=args["profile"],
        live=args["live"],
        yes=args["yes"],
        json_output=args["json_output"],
        order_transport=transport,
    )
    spec, url = resolve_venue(target)
    trading = load_trading_settings(args["profile"])
    notify = notify_settings(args, trading.notify)
    if transport is not None:
        trading.orders.order_transport = transport  # type: ignore[assignment]
    if args["resume"] is None:
        hours, minutes = args["hours"], args["minutes"]
        if hours is None and minutes is None:
            raise UsageError("how long? give --hours and/or --minutes", hint="e.g. --hours 24")
        duration_s = (hours or 0) * 3600 + (minutes or 0) * 60
        if not duration_s > 0 or duration_s == float("inf"):
            raise UsageError("--hours/--minutes must add up to a time of more than 0")
        name = args["strategy"] or trading.strategy.name
        profile_params = trading.strategy.params if name == trading.strategy.name else {}
        params = merge_params(name, profile_params, args["param"])
        load_strategy(name, params)  # a bad name or parameter fails before anything starts
        amount, asset = parse_balance(args["balance"] or trading.paper.balance)
        settings = _stream_settings(args["profile"], spec.name, wanted)
        wanted = wanted or list(settings.symbols)
        if not wanted:
            raise UsageError("no symbols given", hint="e.g. --symbols BTCUSDT")
        config = DryRunConfig(
            strategy=name,
            params=dict(params),
            symbols=[s.upper() for s in wanted],
            venue=spec.name,
            balance=amount,
            quote=asset or _quote_of(wanted, spec.name) or "USDT",
            duration_s=duration_s,
            risk=asdict(trading.risk),
            max_loss=args["max_loss"] or 0.0,
            max_orders_per_minute=args["max_orders_per_minute"] or 0,
            max_open_orders=args["max_open_orders"] or 0,
            on_mismatch=args["on_mismatch"] or ("halt" if spec.live_money else "adopt"),
            keep_orders=args["keep_orders"],
            close_at_end=args["close_at_end"],
            close_on_halt=args["close_on_halt"],
        )
    else:
        settings = _stream_settings(args["profile"], spec.name, config.symbols)
        config.keep_orders = args["keep_orders"] or config.keep_orders
    confirm_live(spec, target, f"run {config.strategy} on {', '.join(config.symbols)}")
    keys = load_keys(spec, trading.keys)
    options = DryRunOptions(
        db=path,
        json_output=args["json_output"],
        resume=args["resume"],
        stream_settings=replace(settings, symbols=config.symbols),
        ttl_ms=settings.cache.ttl_ms,
        live=LiveSetup(spec=spec, keys=keys, rest_url=url, order_settings=trading.orders),
        record=args["record"],
        notify=notify,
    )
    return run_dryrun(config, options)
