"""Property: across random order sequences and market activity, balances never go negative,
locks equal what open orders hold, and every asset's total is the start plus the trades."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from letrade_cli.sim.accounts import Account, InsufficientBalance
from letrade_cli.sim.generator import MarketEngine
from letrade_cli.sim.markets import Market
from letrade_cli.sim.orders import BUY, LIMIT, MARKET, SELL, OrderEngine
from letrade_cli.venues.binance.sim import RULES as BINANCE_RULES
from letrade_cli.venues.binance.sim import binance_markets
from letrade_cli.venues.binance.sim.account import BINANCE
from letrade_cli.venues.upbit.sim import RULES as UPBIT_RULES
from letrade_cli.venues.upbit.sim import upbit_markets
from letrade_cli.venues.upbit.sim.account import UPBIT


def all_markets() -> dict[str, Market]:
    """Both venues' markets in one map, as the sim lists them."""
    return {**binance_markets(), **upbit_markets()}


RULES = {BINANCE: BINANCE_RULES, UPBIT: UPBIT_RULES}

SYMBOLS = {BINANCE: "ETHUSDT", UPBIT: "KRW-ETH"}
START = {
    BINANCE: {"USDT": Decimal(20000), "ETH": Decimal(5)},
    UPBIT: {"KRW": Decimal(20_000_000), "ETH": Decimal(5)},
}

action = st.one_of(
    st.tuples(st.just("market"), st.sampled_from([BUY, SELL]), st.integers(1, 30_000)),
    st.tuples(
        st.just("limit"),
        st.sampled_from([BUY, SELL]),
        st.integers(1, 30_000),
        st.integers(-8, 8),
        st.sampled_from(["GTC", "GTC", "IOC", "FOK"]),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("wait"), st.floats(0.05, 2.0)),
)


def check(engine: OrderEngine, venue: str) -> None:
    account = engine.accounts[venue]
    market = all_markets()[SYMBOLS[venue]]
    locked: dict[str, Decimal] = defaultdict(Decimal)
    for o in engine.open_orders(venue):
        locked[o.lock_asset] += o.locked_left
    expected = {a: Decimal(v) for a, v in START[venue].items()}
    for t in engine.trades[venue]:
        sign = 1 if t.is_buyer else -1
        expected[market.base] += sign * t.qty
        expected[market.quote] -= sign * t.quote_qty
        expected[t.commission_asset] -= t.commission
    if venue == BINANCE:  # self-trade prevention: never both sides of one trade
        ids = [t.trade_id for t in engine.trades[venue]]
        assert len(ids) == len(set(ids))
    for asset, h in account.holdings.items():
        assert h.free >= 0 and h.locked >= 0, (asset, h)
        assert h.locked == locked[asset], (asset, h.locked, locked[asset])
        assert h.total == expected.get(asset, Decimal(0)), (asset, h.total, expected.get(asset))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(venue=st.sampled_from([BINANCE, UPBIT]), actions=st.lists(action, max_size=25))
def test_balances_never_negative_and_conserved(venue: str, actions: list[tuple]) -> None:  # type: ignore[type-arg]
    market_engine = MarketEngine(all_markets(), 7, 400.0)
    accounts = {v: Account(v, dict(START[v])) for v in (BINANCE, UPBIT)}
    engine = OrderEngine(market_engine, accounts, RULES)
    sym = SYMBOLS[venue]
    m = all_markets()[sym]
    now = 1000.0
    market_engine.set_active({sym}, now, 0)
    for act in actions:
        feed = market_engine.feed(sym, 0)
        try:
            if act[0] == "market":
                _, side, lots = act
                qty = m.step * lots
                lock = engine.walk_cost(m, side, lots, None, venue) if side == BUY else None
                engine.place(venue, m, side, MARKET, qty=qty, lock=lock)
            elif act[0] == "limit":
                _, side, lots, offset, tif = act
                mid = (feed.book.best_bid() or feed.last_price) + offset
                engine.place(venue, m, side, LIMIT, qty=m.step * lots,
                             price=m.price_decimal(max(1, mid)), tif=tif)  # fmt: skip
            elif act[0] == "cancel":
                opened = engine.open_orders(venue)
                if opened:
                    engine.cancel(opened[act[1] % len(opened)])
            else:
                now += act[1]
                market_engine.step(now, 0.0)
        except InsufficientBalance:
            pass
        check(engine, venue)


def test_self_trade_prevention_expires_our_own_resting_order() -> None:
    market_engine = MarketEngine(all_markets(), 7, 400.0)
    engine = OrderEngine(market_engine, {v: Account(v, dict(START[v])) for v in START}, RULES)
    m = all_markets()["ETHUSDT"]
    book = market_engine.feed("ETHUSDT", 0).book
    ask = book.best_ask()
    assert ask is not None
    mine = engine.place(BINANCE, m, SELL, LIMIT, qty=Decimal(1), price=m.price_decimal(ask))
    assert mine.status == "NEW"
    lots = 10
    bought = engine.place(BINANCE, m, BUY, MARKET, qty=m.step * lots,
                          lock=engine.walk_cost(m, BUY, lots, None, BINANCE))  # fmt: skip
    assert bought.status == "FILLED" and all(not t.is_maker for t in bought.trades)
    assert mine.status == "EXPIRED_IN_MATCH" and mine.executed_qty == 0
    assert engine.accounts[BINANCE].holding("ETH").locked == 0
