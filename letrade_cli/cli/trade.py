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
        "Exit codes: 2 usage, 3 rejected by the venue, 4 network or unknown outcome."
    ),
    no_args_is_help=True,
    epilog=examples(
        ("letrade trade buy BTCUSDT 0.001", "a market order on an embedded sim"),
        ("letrade trade balance --venue NAME --json", "a venue's balances as JSON"),
    ),
)

EXAMPLES = {
    "buy": examples(
        ("letrade trade buy BTCUSDT 0.001", "market order on an embedded sim (gone at exit)"),
        (
            "letrade trade buy BTCUSDT 0.001 --price 60000 --venue NAME",
            "a GTC limit order on a venue (`letrade venues`)",
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
        ("letrade trade status BTCUSDT lt-mwsog7p9-ef44f1a2a42a9c49 --json", "one order"),
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
    venue: str | None, rest_url: str | None, profile: str | None, live: bool, yes: bool, js: bool
) -> Any:
    from letrade_cli.runtime.trade import TradeTarget

    return TradeTarget(
        venue=venue, rest_url=rest_url, profile=profile, live=live, yes=yes, json_output=js
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
) -> None:
    from letrade_cli.core.errors import UsageError
    from letrade_cli.core.orders import OrderIntent, OrderType, Side, TimeInForce
    from letrade_cli.runtime.trade import confirm_live, resolve_venue, run_trade
    from letrade_cli.ui.trade import show_order, show_validated

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

    async def action(manager: Any) -> Any:
        return await manager.submit(intent, test=test)

    def render(state: Any) -> None:
        if test:
            show_validated(state, json_output=target.json_output)
        else:
            show_order(state, json_output=target.json_output)

    raise typer.Exit(run_trade(target, action, render, spec=spec, rest_url=rest_url))


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
        venue: Venue = None,
        rest_url: RestUrl = None,
        profile: Profile = None,
        json_output: Json = False,
        live: Live = False,
        yes: Yes = False,
    ) -> None:
        target = _target(venue, rest_url, profile, live, yes, json_output)
        _order(side, symbol, quantity, price, order_type, tif, client_id, test, target)

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
        """Parse as Click does; an option that is really a negative number is a usage error."""
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
) -> None:
    """Cancel an open order by its client order id."""
    _by_client_id("cancel", symbol, client_id, venue, rest_url, profile, json_output, live, yes)


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
) -> None:
    """Show one order by its client order id (exit 3 when the venue does not know it)."""
    _by_client_id("status", symbol, client_id, venue, rest_url, profile, json_output, live, yes)


def _by_client_id(
    what: str,
    symbol: str,
    client_id: str,
    venue: str | None,
    rest_url: str | None,
    profile: str | None,
    json_output: bool,
    live: bool,
    yes: bool,
) -> None:
    """``cancel`` or ``status`` of one order: the same target, look-up and rendering."""
    from letrade_cli.runtime.trade import confirm_live, resolve_venue, run_trade
    from letrade_cli.ui.trade import show_order

    target = _target(venue, rest_url, profile, live, yes, json_output)
    spec, url = resolve_venue(target)
    sym = _normalize(symbol, spec.dialect)
    if what == "cancel":  # only a cancel changes anything on a real-money venue
        confirm_live(spec, target, f"cancel {client_id} on {sym}")

    async def action(manager: Any) -> Any:
        if what == "cancel":
            return await manager.cancel(sym, client_id)
        return await manager.status(sym, client_id)

    def render(state: Any) -> None:
        show_order(
            state, json_output=json_output, title="canceled" if what == "cancel" else "order"
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
) -> None:
    """List open orders (of one symbol, or all)."""
    from letrade_cli.runtime.trade import resolve_venue, run_trade
    from letrade_cli.ui.trade import show_orders

    target = _target(venue, rest_url, profile, live, yes, json_output)
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
) -> None:
    """Show the account's non-zero balances."""
    from letrade_cli.runtime.trade import resolve_venue, run_trade
    from letrade_cli.ui.trade import show_balances

    target = _target(venue, rest_url, profile, live, yes, json_output)
    spec, url = resolve_venue(target)

    async def action(manager: Any) -> Any:
        return await manager.balances()

    def render(balances: Any) -> None:
        show_balances(balances, json_output=json_output)

    raise typer.Exit(run_trade(target, action, render, spec=spec, rest_url=url))
