"""`letrade trade`: place, cancel and read signed orders and balances on one venue."""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer
from typer._click.exceptions import NoSuchOption
from typer.core import TyperCommand

from letrade_cli.cli.help import complete_profile, complete_venues, env_note, examples

VENUE_HELP = (
    "A venue name (`letrade venues` lists them; default: the profile's venue, else sim). "
    "sim talks to a running `letrade sim` when LETRADE_REST_URL (or --rest-url) is set; "
    "otherwise it starts an embedded sim for this one command, and its orders vanish when "
    "the command exits. Venues marked real money need --live."
)

Venue = Annotated[
    str | None,
    typer.Option(
        "--venue",
        help=VENUE_HELP + env_note("LETRADE_VENUE"),
        autocompletion=complete_venues,
    ),
]
RestUrl = Annotated[
    str | None,
    typer.Option("--rest-url", help="The venue's REST base URL." + env_note("LETRADE_REST_URL")),
]
Profile = Annotated[
    str | None,
    typer.Option(
        "--profile",
        "-p",
        help="Profile (profiles/NAME.yaml or a path): venue, URLs, trading.keys variable names.",
        envvar="LETRADE_PROFILE",
        autocompletion=complete_profile,
    ),
]
Json = Annotated[
    bool, typer.Option("--json", help="JSON on stdout (Decimals as strings) instead of tables.")
]
Live = Annotated[
    bool,
    typer.Option(
        "--live", help="Allow orders on a real-money venue (`letrade venues`); reads need none."
    ),
]
Yes = Annotated[
    bool,
    typer.Option("--yes", help="Skip the typed confirmation of --live (for scripts)."),
]
OrderTransport = Annotated[
    str | None,
    typer.Option(
        "--order-transport",
        help=(
            "How orders are sent: auto (the venue's WebSocket session when it is up, else "
            "signed REST), ws (the session only) or rest (HTTP only). Default: the profile's "
            "trading.orders.order_transport, else auto."
        ),
        show_default=False,
    ),
]
DEFAULT_WAIT_FILL_S = 30.0
Symbol = Annotated[
    str,
    typer.Argument(help="Symbol: BTCUSDT, btcusdt, BTC/USDT, in any venue's spelling."),
]
ClientId = Annotated[str, typer.Argument(help="The order's client order id.")]

trade_app = typer.Typer(
    name="trade",
    help=(
        "Place, cancel and read signed orders and balances. Keys come from the environment "
        "variables named in the profile's trading.keys (defaults: each venue's own, listed by "
        "`letrade venues`; the sim uses its default account) and are never printed. "
        "Exit codes: 2 usage, 3 rejected by the venue, 4 network or unknown outcome, "
        "5 not filled within --wait-fill."
    ),
    no_args_is_help=True,
    epilog=examples(
        ("letrade trade buy BTCUSDT 0.001", "a market order on an embedded sim"),
        ("letrade trade balance --venue NAME --json", "a venue's balances as JSON"),
        ("letrade trade watch --json", "every pushed order update and fill, as JSON lines"),
    ),
)

EXAMPLES = {
    "buy": examples(
        ("letrade trade buy BTCUSDT 0.001", "market order on an embedded sim (gone at exit)"),
        (
            "letrade trade buy BTCUSDT 0.001 --price 60000 --venue NAME",
            "a GTC limit order on a venue (`letrade venues`)",
        ),
        (
            "letrade trade buy BTCUSDT 0.001 --wait-fill --json",
            "wait (30 s) for the pushed fill; print the fills and ack→fill latency",
        ),
        (
            "letrade trade buy BTCUSDT 0.001 --price 60000 --wait-fill 10",
            "exit 5 when the limit order is not filled within 10 s (it stays open)",
        ),
    ),
    "sell": examples(
        ("letrade trade sell BTCUSDT 0.001 --test", "validate only: filters, keys, signature"),
        ("letrade trade sell BTCUSDT 0.001 --venue NAME --live", "real money: type its name"),
    ),
    "cancel": examples(
        ("letrade trade cancel BTCUSDT lt-mwsog7p9-ef44f1a2a42a9c49", "cancel by client id"),
    ),
    "status": examples(
        (
            "letrade trade status BTCUSDT lt-mwsog7p9-ef44f1a2a42a9c49 --json",
            "one order, its fills and ack→fill time (from the venue's clock across processes)",
        ),
    ),
    "watch": examples(
        (
            "letrade sim --port 8900 &  export LETRADE_REST_URL=http://127.0.0.1:8900",
            "a sim other commands trade on (an embedded one has nothing to watch)",
        ),
        ("letrade trade watch", "a live table of every order update and fill, as pushed"),
        (
            "letrade trade watch BTCUSDT --json --duration 60",
            "one JSON line per update of BTCUSDT for a minute (exit 0)",
        ),
    ),
    "open": examples(
        ("letrade trade open", "every open order on the venue"),
        ("letrade trade open ETHUSDT --json", "one symbol, as JSON"),
    ),
    "balance": examples(
        ("letrade trade balance", "non-zero balances as a table"),
        ("letrade trade balance --venue NAME --json", "another venue, as JSON"),
    ),
}


def register(app: typer.Typer) -> None:
    """Add the ``trade`` group to the root app."""
    app.add_typer(trade_app)


def _target(
    venue: str | None,
    rest_url: str | None,
    profile: str | None,
    live: bool,
    yes: bool,
    js: bool,
    order_transport: str | None = None,
) -> Any:
    from letrade_cli.runtime.trade import TradeTarget, check_order_transport

    return TradeTarget(
        venue=venue,
        rest_url=rest_url,
        profile=profile,
        live=live,
        yes=yes,
        json_output=js,
        order_transport=check_order_transport(order_transport),
    )


def _decimal(text: str, what: str) -> Any:
    from decimal import Decimal, InvalidOperation

    from letrade_cli.core.errors import UsageError

    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UsageError(f"{what} '{text}' is not a number", hint="e.g. 0.001") from None
    if not value.is_finite() or value <= 0:
        raise UsageError(f"{what} must be greater than 0, got {text}")
    return value


def _normalize(symbol: str, dialect: str) -> str:
    from letrade_cli.venues.registry import dialect_for

    return dialect_for(dialect).normalize_symbol(symbol)


def _order(
    side: str,
    symbol: str,
    quantity: str,
    price: str | None,
    order_type: str | None,
    tif: str,
    client_id: str | None,
    test: bool,
    target: Any,
    wait_fill: float | None = None,
) -> None:
    from letrade_cli.core.errors import UsageError
    from letrade_cli.core.orders import OrderIntent, OrderType, Side, TimeInForce
    from letrade_cli.runtime.trade import confirm_live, resolve_venue, run_trade
    from letrade_cli.ui.trade import show_order, show_validated

    if wait_fill is not None and (wait_fill != wait_fill or wait_fill < 0):
        raise UsageError(f"--wait-fill must be 0 or more seconds, got {wait_fill:g}")
    if wait_fill is not None and test:
        raise UsageError("--wait-fill cannot wait for a --test order: nothing is placed")
    if not wait_fill:  # 0: do not wait
        wait_fill = None

    kind = (order_type or ("limit" if price is not None else "market")).upper()
    if kind not in OrderType.__members__:
        raise UsageError(f"unknown --type '{order_type}'", hint="use market or limit")
    if tif.upper() not in TimeInForce.__members__:
        raise UsageError(f"unknown --tif '{tif}'", hint="use GTC, IOC or FOK")
    qty = _decimal(quantity, "quantity")
    limit_price = _decimal(price, "--price") if price is not None else None
    spec, rest_url = resolve_venue(target)
    intent = OrderIntent(
        symbol=_normalize(symbol, spec.dialect),
        side=Side(side),
        quantity=qty,
        type=OrderType(kind),
        price=limit_price,
        time_in_force=TimeInForce(tif.upper()),
        client_order_id=client_id,
    )
    if not test:
        what = f"{side.lower()} {quantity} {intent.symbol}"
        confirm_live(spec, target, what)

    if not test and intent.client_order_id is None:
        # Named on stderr before it is sent: whatever fails after (stdout, the network), a
        # script knows which order to look up instead of sending a second one.
        from dataclasses import replace

        from letrade_cli.trading.order_manager import new_client_order_id

        intent = replace(intent, client_order_id=new_client_order_id())
    if wait_fill is not None:
        _order_and_wait(intent, wait_fill, target, spec, rest_url)
        return

    async def action(manager: Any) -> Any:
        reference = await _reference_price(manager, intent)
        if not test:
            _announce(intent)
        return await manager.submit(intent, test=test, reference_price=reference)

    def render(state: Any) -> None:
        if test:
            show_validated(state, json_output=target.json_output)
            return
        from letrade_cli.core.stdio import OutputError, flush_stdout

        try:
            show_order(state, json_output=target.json_output)
            flush_stdout()
        except OutputError as exc:
            cid = state.client_order_id
            raise OutputError(
                f"{exc.message}; order {cid} was placed ({state.status.value})",
                hint=f"`letrade trade status {state.symbol} {cid}` shows it; do not resend",
            ) from None

    raise typer.Exit(run_trade(target, action, render, spec=spec, rest_url=rest_url))


async def _reference_price(manager: Any, intent: Any) -> Any:
    """For a market order: a current price, so its minimum notional is checked before sending."""
    from letrade_cli.core.errors import ExchangeRejectedError, NetworkUnavailableError
    from letrade_cli.trading.filters import check_intent

    if intent.type.has_limit_price or not hasattr(manager.venue, "reference_price"):
        return None
    rules = await manager.rules(intent.symbol)
    try:
        price = await manager.venue.reference_price(intent.symbol)
    except (ExchangeRejectedError, NetworkUnavailableError):
        return None  # the venue's own check still applies
    if price is not None and rules.tick_size > 0:
        price = price.quantize(rules.tick_size)  # a mid of two floats: back on the price grid
    check_intent(intent, rules, reference_price=price)  # refused here: "sending" is never said
    return price


def _announce(intent: Any) -> None:
    """``sending buy 0.001 BTCUSDT: client id lt-...`` on stderr, just before the order goes."""
    from letrade_cli.core.stdio import write_stderr

    write_stderr(
        f"sending {intent.side.value.lower()} {intent.quantity} {intent.symbol}: "
        f"client id {intent.client_order_id}"
    )


def _order_and_wait(intent: Any, wait_s: float, target: Any, spec: Any, rest_url: Any) -> None:
    """``--wait-fill``: place, wait for the (pushed) fill, print the order with its fills."""
    import sys

    from letrade_cli.core.errors import EXIT_NOT_FILLED
    from letrade_cli.runtime.trade import run_trade
    from letrade_cli.ui.trade import num, show_order

    placed: dict[str, Any] = {}

    async def action(manager: Any) -> Any:
        from letrade_cli.trading.fill_wait import FillRecorder, wait_fill

        recorder = FillRecorder()
        manager.add_listener(recorder)
        reference = await _reference_price(manager, intent)
        _announce(intent)
        state = await manager.submit(intent, reference_price=reference)
        placed["state"] = state
        final, filled = await wait_fill(manager, recorder, state, timeout_s=wait_s)
        return final, filled, recorder.of(final.client_order_id)

    def render(result: Any) -> int | None:
        state, filled, fills = result
        show_order(state, json_output=target.json_output, fills=fills)
        if filled:
            return None
        cid = state.client_order_id
        done = f"{num(state.filled_qty)}/{num(state.quantity)} filled"
        if state.status.is_open:
            line = f"not filled within {wait_s:g}s (still open: client id {cid}, {done})"
        else:
            line = f"not filled: the order ended {state.status.value} ({done}, client id {cid})"
        sys.stderr.write(line + "\n")
        return EXIT_NOT_FILLED

    def interrupted() -> str | None:
        state = placed.get("state")
        if state is None:
            return None
        return (
            f"interrupted while waiting for the fill: order {state.client_order_id} was placed "
            f"(check `letrade trade status {state.symbol} {state.client_order_id}`)"
        )

    raise typer.Exit(
        run_trade(target, action, render, spec=spec, rest_url=rest_url, on_interrupt=interrupted)
    )


def _order_command(side: str) -> Any:
    def command(
        symbol: Symbol,
        quantity: Annotated[str, typer.Argument(help="Quantity of the base asset (0.001).")],
        price: Annotated[
            str | None, typer.Option("--price", help="Limit price (implies --type limit).")
        ] = None,
        order_type: Annotated[
            str | None,
            typer.Option("--type", help="market or limit (default: limit with --price)."),
        ] = None,
        tif: Annotated[
            str, typer.Option("--tif", help="Time in force of a limit order: GTC, IOC, FOK.")
        ] = "GTC",
        client_id: Annotated[
            str | None,
            typer.Option("--client-id", help="Your own client order id (default: a new one)."),
        ] = None,
        test: Annotated[
            bool,
            typer.Option("--test", help="Validate only (where the venue can): no order."),
        ] = False,
        wait_fill: Annotated[
            float | None,
            typer.Option(
                "--wait-fill",
                metavar="[SECONDS]",
                help=(
                    "After the ack, wait up to SECONDS (bare: 30) for the order to fill, as "
                    "the venue pushes it (read every second when nothing is pushed); print it "
                    "with its fills and ack→fill latency. Not filled in time: its state, a "
                    "line on stderr, exit 5 (the order stays open). 0: do not wait."
                ),
                show_default=False,
            ),
        ] = None,
        venue: Venue = None,
        rest_url: RestUrl = None,
        profile: Profile = None,
        json_output: Json = False,
        live: Live = False,
        yes: Yes = False,
        order_transport: OrderTransport = None,
    ) -> None:
        target = _target(venue, rest_url, profile, live, yes, json_output, order_transport)
        _order(side, symbol, quantity, price, order_type, tif, client_id, test, target, wait_fill)

    command.__doc__ = (
        f"{side.capitalize()} QUANTITY of SYMBOL: market, or limit with --price. "
        "Price and quantity are checked against the venue's filters before sending."
    )
    return command


class _OrderCommand(TyperCommand):
    """``buy``/``sell``: a negative QUANTITY ("-1") is refused as a quantity, not an option.

    Click reads ``-1`` as an unknown option; only that case is answered with the quantity
    check's message, so a mistyped option (``--prise``) still gets Click's "No such option".
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Parse as Click does; an option that is really a negative number is a usage error.

        A bare ``--wait-fill`` (not followed by a number) means the default wait.
        """
        args = _wait_fill_default(args)
        given = list(args)  # the parser consumes ``args``
        try:
            return super().parse_args(ctx, args)
        except NoSuchOption as exc:
            # Click names only the first "letter" of "-0.5" ("-0"): find the whole number.
            number = next(
                (a for a in given if _NEGATIVE.fullmatch(a) and a.startswith(exc.option_name)),
                None,
            )
            if number is None:
                raise
            from letrade_cli.core.errors import UsageError

            raise UsageError(f"quantity must be greater than 0, got {number}") from None


_NEGATIVE = re.compile(r"-\d+(\.\d*)?|-\.\d+")
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")


def _wait_fill_default(args: list[str]) -> list[str]:
    """``--wait-fill`` with no number after it gets ``DEFAULT_WAIT_FILL_S`` (an optional value).

    Click options take a value or none, never "maybe"; a number right after the flag is its
    value (``--wait-fill 5``, ``--wait-fill=5``), anything else (the end, another option, the
    symbol) leaves the flag bare.
    """
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            return out + args[i:]
        out.append(arg)
        if arg == "--wait-fill":
            following = args[i + 1] if i + 1 < len(args) else None
            if following is None or not _NUMBER.fullmatch(following):
                out.append(f"{DEFAULT_WAIT_FILL_S:g}")
    return out


trade_app.command("buy", cls=_OrderCommand, epilog=EXAMPLES["buy"])(_order_command("BUY"))
trade_app.command("sell", cls=_OrderCommand, epilog=EXAMPLES["sell"])(_order_command("SELL"))


@trade_app.command("cancel", epilog=EXAMPLES["cancel"])
def cancel(
    symbol: Symbol,
    client_id: ClientId,
    venue: Venue = None,
    rest_url: RestUrl = None,
    profile: Profile = None,
    json_output: Json = False,
    live: Live = False,
    yes: Yes = False,
    order_transport: OrderTransport = None,
) -> None:
    """Cancel an open order by its client order id."""
    target = _target(venue, rest_url, profile, live, yes, json_output, order_transport)
    _by_client_id("cancel", symbol, client_id, target)


@trade_app.command("status", epilog=EXAMPLES["status"])
def status(
    symbol: Symbol,
    client_id: ClientId,
    venue: Venue = None,
    rest_url: RestUrl = None,
    profile: Profile = None,
    json_output: Json = False,
    live: Live = False,
    yes: Yes = False,
    order_transport: OrderTransport = None,
) -> None:
    """Show one order by its client order id, with its fills and ack→fill time.

    Without this process's own latency stamps, ack→fill comes from the venue's clock: the
    order's creation time to its first fill. Exit 3 when the venue does not know the order.
    """
    target = _target(venue, rest_url, profile, live, yes, json_output, order_transport)
    _by_client_id("status", symbol, client_id, target)


def _by_client_id(what: str, symbol: str, client_id: str, target: Any) -> None:
    """``cancel`` or ``status`` of one order: the same target, look-up and rendering."""
    from letrade_cli.runtime.trade import confirm_live, resolve_venue, run_trade
    from letrade_cli.ui.trade import show_order

    if not client_id.strip():
        from letrade_cli.core.errors import UsageError

        raise UsageError(
            f"trade {what}: the client order id is empty",
            hint="give the id `trade buy/sell` printed, or see `letrade trade open`",
        )
    spec, url = resolve_venue(target)
    sym = _normalize(symbol, spec.dialect)
    if what == "cancel":  # only a cancel changes anything on a real-money venue
        confirm_live(spec, target, f"cancel {client_id} on {sym}")

    async def action(manager: Any) -> Any:
        if what == "cancel":
            return await manager.cancel(sym, client_id), None
        from letrade_cli.trading.fill_wait import FillRecorder, venue_ack_to_fill_ms

        recorder = FillRecorder()
        manager.add_listener(recorder)  # the fills the look-up reads
        state = await manager.status(sym, client_id)
        fills = recorder.of(client_id)
        return state, (fills, venue_ack_to_fill_ms(state, fills))

    def render(result: Any) -> None:
        state, extra = result
        fills, ack_to_fill = extra if extra is not None else (None, None)
        show_order(
            state,
            json_output=target.json_output,
            title="canceled" if what == "cancel" else "order",
            fills=fills,
            venue_ack_to_fill_ms=ack_to_fill,
        )

    raise typer.Exit(run_trade(target, action, render, spec=spec, rest_url=url))


@trade_app.command("open", epilog=EXAMPLES["open"])
def open_orders(
    symbol: Annotated[str | None, typer.Argument(help="Only this symbol.")] = None,
    venue: Venue = None,
    rest_url: RestUrl = None,
    profile: Profile = None,
    json_output: Json = False,
    live: Live = False,
    yes: Yes = False,
    order_transport: OrderTransport = None,
) -> None:
    """List open orders (of one symbol, or all)."""
    from letrade_cli.runtime.trade import resolve_venue, run_trade
    from letrade_cli.ui.trade import show_orders

    target = _target(venue, rest_url, profile, live, yes, json_output, order_transport)
    spec, url = resolve_venue(target)
    sym = _normalize(symbol, spec.dialect) if symbol else None

    async def action(manager: Any) -> Any:
        return await manager.open_orders(sym)

    def render(orders: Any) -> None:
        show_orders(orders, json_output=json_output)

    raise typer.Exit(run_trade(target, action, render, spec=spec, rest_url=url))


@trade_app.command("balance", epilog=EXAMPLES["balance"])
def balance(
    venue: Venue = None,
    rest_url: RestUrl = None,
    profile: Profile = None,
    json_output: Json = False,
    live: Live = False,
    yes: Yes = False,
    order_transport: OrderTransport = None,
) -> None:
    """Show the account's non-zero balances."""
    from letrade_cli.runtime.trade import resolve_venue, run_trade
    from letrade_cli.ui.trade import show_balances

    target = _target(venue, rest_url, profile, live, yes, json_output, order_transport)
    spec, url = resolve_venue(target)

    async def action(manager: Any) -> Any:
        return await manager.balances()

    def render(balances: Any) -> None:
        show_balances(balances, json_output=json_output)

    raise typer.Exit(run_trade(target, action, render, spec=spec, rest_url=url))


@trade_app.command("watch", epilog=EXAMPLES["watch"])
def watch(
    symbols: Annotated[
        list[str] | None,
        typer.Argument(metavar="[SYMBOL]...", help="Only these symbols (default: every one)."),
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option("--duration", help="Stop after SECONDS (exit 0); default: until Ctrl-C."),
    ] = None,
    venue: Venue = None,
    rest_url: RestUrl = None,
    profile: Profile = None,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json",
            help=(
                'One JSON line per update on stdout ({"event": "order"|"fill", "venue", '
                '"symbol", "client_order_id", "status", ..., "fill", "ts_ms"}); also when '
                "stdout is not a terminal."
            ),
        ),
    ] = False,
    live: Live = False,
    yes: Yes = False,
    order_transport: OrderTransport = None,
) -> None:
    """Show every order update and fill the venue pushes, as it arrives.

    Opens the venue's private stream (its WebSocket API's user data stream, or its private
    WebSocket) and shows the orders any program places on the account: a live table with the
    stream's state and counters on a terminal, JSON lines otherwise. An embedded sim has nothing to
    watch (exit 2): run `letrade sim` and set LETRADE_REST_URL. Exit 0 after --duration,
    130/143 on Ctrl-C/SIGTERM.
    """
    from letrade_cli.runtime.trade import resolve_venue
    from letrade_cli.runtime.watch import run_watch

    target = _target(venue, rest_url, profile, live, yes, json_output, order_transport)
    spec, url = resolve_venue(target)
    wanted = [_normalize(s, spec.dialect) for s in symbols or ()]
    code = run_watch(target, spec=spec, rest_url=url, symbols=wanted, duration=duration)
    raise typer.Exit(code)


def _add_run() -> None:
    from letrade_cli.cli import trade_run  # light: typer and help only

    trade_run.register(trade_app)


_add_run()
