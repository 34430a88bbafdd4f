"""The toyx venue, defined only under tests/venues/toyx, through the engine's seams.

Real sockets on 127.0.0.1 against ``SimExchange`` (which composes toyx's sim dialect with the
built-in ones); every wait is on an event with a timeout, never a sleep.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from letrade_cli.cli.app import app
from letrade_cli.config.stream import EndpointSettings, StreamSettings
from letrade_cli.config.trading import OrderSettings
from letrade_cli.connector.service import StreamService
from letrade_cli.core.errors import DecodeError, ExchangeRejectedError, UsageError
from letrade_cli.core.orders import OrderIntent, OrderStatus, OrderType, Side, TimeInForce
from letrade_cli.core.tick import Tick
from letrade_cli.sim.dialect import SimDialect
from letrade_cli.sim.server import SimConfig, SimExchange
from letrade_cli.trading.filters import floor_to_step
from letrade_cli.trading.keys import ApiKeys
from letrade_cli.trading.ledger import Ledger
from letrade_cli.trading.live import LiveVenue
from letrade_cli.trading.order_manager import OrderManager
from letrade_cli.venues.base import Dialect, OrderApi, RequestSigner, RestRequest
from letrade_cli.venues.registry import symbol_format, venue_of, venue_spec
from tests.venues.toyx.auth import ToyxSigner
from tests.venues.toyx.dialect import ToyxDecoder, ToyxDialect
from tests.venues.toyx.orders import ToyxOrders
from tests.venues.toyx.sim import ToyxSimDialect

SIM_KEYS = ApiKeys("letrade-sim-key", "letrade-sim-secret")
FAST = OrderSettings(recv_window_ms=5000, timeout_s=2.0, lookup_attempts=3)
WAIT_S = 15.0


@pytest.fixture
async def sim() -> AsyncIterator[SimExchange]:
    async with SimExchange(SimConfig(rate=500.0, seed=7, port=0)) as exchange:
        yield exchange


# -- the package as data ----------------------------------------------------------------------


def test_symbols_and_frames() -> None:
    dialect = ToyxDialect()
    for raw in ("btc_usdt", "BTC/USDT", "btcusdt", "BTC-USDT", "usdt/btc"):
        assert dialect.normalize_symbol(raw) == "BTC_USDT"
    with pytest.raises(UsageError):
        dialect.normalize_symbol("btcxyz")
    assert symbol_format("toyx").split("ETH_USDT") == ("ETH", "USDT")
    assert symbol_format("toyx-sim").join("SOL", "USDT") == "SOL_USDT"
    decoder = ToyxDecoder("toyx")
    quote = b'{"ch":"quote","s":"BTC_USDT","b":"1.5","a":"1.6","B":"2","A":"3","t":7,"n":9}'
    assert decoder.decode(quote, 11) == Tick(
        "toyx", "BTC_USDT", "bookTicker", 1.5, 1.6, None, 2.0, 7, 11, 9
    )
    trade = '{"ch":"trade","s":"BTC_USDT","p":"1.55","q":"0.1","m":true,"t":8,"i":4}'
    assert decoder.decode(trade, 12) == Tick(
        "toyx", "BTC_USDT", "trade", None, None, 1.55, 0.1, 8, 12, 4
    )
    assert decoder.decode('{"ch":"ack","id":1,"args":[]}', 0) is None
    with pytest.raises(DecodeError):
        decoder.decode(b'{"ch":"quote","s":"BTC_USDT"}', 0)
    with pytest.raises(ExchangeRejectedError):
        decoder.decode(b'{"ch":"error","code":"TX_BAD_ARG","text":"no"}', 0)
    assert dialect.change_request(["BTC_USDT"]) is None
    assert venue_of(venue_spec("toyx-sim")).name == "toyx"


def test_the_classes_satisfy_the_protocols() -> None:
    # Checked by mypy (these annotations are the interfaces); at run time, built by the factories.
    dialect: Dialect = ToyxDialect()
    orders: OrderApi = ToyxOrders("toyx")
    signer: RequestSigner = ToyxSigner("k", "s")
    sim_dialect: type[SimDialect] = ToyxSimDialect
    package = venue_of("toyx")
    assert type(package.dialect()) is type(dialect)
    assert type(package.order_api("toyx")) is type(orders)
    assert type(package.signer("k", "s", 5000)) is type(signer)
    assert package.sim is not None and package.sim.load() is sim_dialect  # type: ignore[attr-defined]


# -- 1. streams -------------------------------------------------------------------------------


def _settings(venue: str, symbols: list[str], ws_url: str, rest_url: str) -> StreamSettings:
    return StreamSettings(
        venue=venue,
        symbols=symbols,
        endpoints=EndpointSettings(ws_url=ws_url, rest_url=rest_url),
    ).validate()


async def test_streams_toyx_and_the_other_venues_in_one_sim(sim: SimExchange) -> None:
    wanted = {
        # venue -> (symbols as a user types them, ws_url, the symbol the ticks carry)
        "toyx": (["btc/usdt"], sim.ws_url, "BTC_USDT"),
        "binance": (["BTCUSDT"], sim.ws_url, "BTCUSDT"),
        "upbit": (["KRW-BTC"], sim.ws_url + "/websocket/v1", "KRW-BTC"),
    }
    seen: dict[str, dict[str, list[Tick]]] = {name: {} for name in wanted}
    done = {name: asyncio.Event() for name in wanted}
    services = []

    def listener(name: str, symbol: str) -> object:
        def on_tick(tick: Tick) -> None:
            if tick.symbol == symbol:
                seen[name].setdefault(tick.channel, []).append(tick)
            need = {"bookTicker", "trade"} if name == "toyx" else set()
            if seen[name] and need <= seen[name].keys():
                done[name].set()

        return on_tick

    try:
        for name, (symbols, ws_url, symbol) in wanted.items():
            service = StreamService(_settings(name, symbols, ws_url, sim.rest_url))
            service.bus.subscribe(listener(name, symbol))  # type: ignore[arg-type]
            services.append(service)
            await service.start()
        async with asyncio.timeout(WAIT_S):
            await asyncio.gather(*(event.wait() for event in done.values()))
    finally:
        for service in services:
            await service.aclose()

    toyx = services[0]
    assert toyx.symbols == ["BTC_USDT"] and toyx.markets["BTC_USDT"].base == "BTC"
    quotes = seen["toyx"]["bookTicker"]
    for tick in quotes:
        assert tick.venue == "toyx" and tick.bid is not None and tick.ask is not None
        assert 10_000 < tick.bid < tick.ask < tick.bid * 1.01
        assert tick.event_time_ms > 0
    assert all(t.last and t.size and t.last > 10_000 for t in seen["toyx"]["trade"])
    # quote "n" steps by one (the dialect declares bookTicker contiguous): no gap counted
    assert toyx.stats.gaps == 0
    assert {tick.venue for ticks in seen["binance"].values() for tick in ticks} == {"binance"}
    assert {tick.venue for ticks in seen["upbit"].values() for tick in ticks} == {"upbit"}
    assert sim.stats.rest_requests >= 3  # each venue's market list, through its REST prefix


# -- 2. orders --------------------------------------------------------------------------------


def _manager(sim: SimExchange, keys: ApiKeys = SIM_KEYS) -> OrderManager:
    live = LiveVenue(venue_spec("toyx"), keys, rest_url=sim.rest_url, settings=FAST)
    return OrderManager(live, settings=FAST, max_wait_s=2.0)


async def test_market_buy_fills_and_moves_the_balances(sim: SimExchange) -> None:
    account = sim.accounts["toyx"]
    assert account.free("USDT") == Decimal(5000) and account.free("BTC") == Decimal("0.05")
    fills = []
    async with _manager(sim) as manager:
        manager.add_listener(lambda state, fill: fills.append(fill) if fill else None)
        rules = await manager.rules("BTC_USDT")
        assert (rules.base, rules.quote, rules.step_size) == ("BTC", "USDT", Decimal("0.00001"))
        state = await manager.submit(OrderIntent("BTC_USDT", Side.BUY, Decimal("0.01")))
        assert state.status is OrderStatus.FILLED and state.venue == "toyx"
        assert state.filled_qty == Decimal("0.01") and state.quote_qty > 0
        assert sum(f.quantity for f in fills) == Decimal("0.01")
        assert state.fee == Decimal("0.000015") and state.fee_asset == "BTC"  # 0.15% of 0.01
        balances = {b.asset: b for b in await manager.balances()}
        assert balances["BTC"].free == Decimal("0.059985")
        assert balances["USDT"].free == Decimal(5000) - state.quote_qty
        assert balances["USDT"].locked == 0

        # a limit buy far below the market rests, is listed open, and cancels
        live = manager.venue
        assert isinstance(live, LiveVenue)
        prices = await live.client.request(RestRequest("/toyx/prices", {"symbols": "BTC_USDT"}))
        bid = Decimal(prices["prices"][0]["b"])
        price = floor_to_step(bid * Decimal("0.8"), rules.tick_size)
        intent = OrderIntent("BTC_USDT", Side.BUY, Decimal("0.001"), OrderType.LIMIT, price)
        placed = await manager.submit(intent)
        assert placed.status is OrderStatus.NEW and placed.price == price
        assert [o.client_order_id for o in await manager.open_orders("BTC_USDT")] == [
            placed.client_order_id
        ]
        assert account.holding("USDT").locked == price * Decimal("0.001")
        cancelled = await manager.cancel("BTC_USDT", placed.client_order_id)
        assert cancelled.status is OrderStatus.CANCELED
        assert account.holding("USDT").locked == 0
        assert (
            await live.get_order("BTC_USDT", "lt-never-sent") is None
        )  # TX_NO_ORDER = unknown order


async def test_a_wrong_signature_is_rejected(sim: SimExchange) -> None:
    async with _manager(sim, ApiKeys("letrade-sim-key", "not-the-secret")) as manager:
        with pytest.raises(ExchangeRejectedError) as balances_error:
            await manager.balances()
        with pytest.raises(ExchangeRejectedError) as order_error:
            await manager.submit(OrderIntent("BTC_USDT", Side.BUY, Decimal("0.01")))
    for error in (balances_error.value, order_error.value):
        assert error.exit_code == 3
        assert error.code == "TX_BAD_SIGN"  # its own code: its dialect reads the error body
    assert not sim.orders.orders["toyx"]
    assert sim.accounts["toyx"].free("USDT") == Decimal(5000)


# -- 3. dry run and `letrade venues` ------------------------------------------------------------


def test_venues_json_lists_toyx() -> None:
    done = CliRunner().invoke(app, ["venues", "--json"])
    assert done.exit_code == 0, done.output
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert {"toyx", "toyx-sim", "binance", "upbit", "sim"} <= set(rows)
    assert rows["toyx"]["symbol_format"] == {
        "separator": "_",
        "quote_first": False,
        "quotes": ["USDT", "USDC", "BTC"],
    }
    assert rows["toyx"]["capabilities"]["server_clock_sync"] is False
    assert rows["toyx"]["capabilities"]["rate_limits"][0]["limit"] == 20
    assert rows["toyx-sim"]["embedded"] is True and rows["toyx"]["example_symbol"] == "BTC_USDT"


def test_dryrun_on_toyx_records_its_run(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    args = ["dryrun", "--minutes", "0.05", "--venue", "toyx-sim", "--symbols", "btc_usdt",
            "--db", str(db), "--json"]  # fmt: skip
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    events = [orjson.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert events[0]["event"] == "start" and events[-1]["event"] == "summary"
    summary = events[-1]
    assert summary["completed"] is True and summary["ticks"] > 0
    assert summary["source"]["venue"] == "toyx-sim"
    assert events[0]["config"]["quote"] == "USDT"
    ledger = Ledger(db)
    try:
        (run,) = ledger.runs()
        assert run["run_id"] == events[0]["run_id"]
        assert (run["venue"], run["symbols"], run["status"]) == (
            "toyx-sim",
            ["BTC_USDT"],
            "finished",
        )
    finally:
        ledger.close()


async def test_what_its_capabilities_refuse_is_never_sent(sim: SimExchange) -> None:
    # toyx declares GTC and IOC only, and no order-test endpoint: the engine reads that.
    async with _manager(sim) as manager:
        fok = OrderIntent(
            "BTC_USDT",
            Side.BUY,
            Decimal("0.01"),
            OrderType.LIMIT,
            Decimal("1000"),
            TimeInForce.FOK,
        )
        with pytest.raises(UsageError, match="toyx does not take time in force FOK") as refused:
            await manager.submit(fok)
        assert "GTC or IOC" in (refused.value.hint or "")
        with pytest.raises(UsageError, match="toyx cannot validate"):  # in its own words
            await manager.submit(OrderIntent("BTC_USDT", Side.BUY, Decimal("0.01")), test=True)
    assert not sim.orders.orders["toyx"]
