"""What a strategy can do through ctx, end to end over a replay on the paper broker.

Prices are one-minute candles (each a tick at its close), so every trigger and fill is worked
out by hand from the price list.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from letrade_cli.config.trading import RiskSettings
from letrade_cli.core.errors import UsageError
from letrade_cli.core.orders import Side, SymbolRules
from letrade_cli.trading.dryrun import DryRun, DryRunConfig
from letrade_cli.trading.ledger import Ledger
from letrade_cli.trading.replay import ReplaySource
from letrade_cli.trading.sizing import Size, SizingRefused, size_quantity
from letrade_cli.trading.strategies.api import Strategy
from letrade_cli.trading.synthetic import write_collector_candles

D = Decimal
Script = dict[int, Callable[[Any], Any]]


class Scripted(Strategy):
    """Runs ``script[n](ctx)`` on the n-th tick (from 1); records what it is told."""

    name = "scripted"

    def __init__(self, script: Script) -> None:
        super().__init__()
        self.script = script
        self.n = 0
        self.fills: list[Any] = []
        self.orders: list[Any] = []
        self.seen: list[Any] = []

    def on_tick(self, tick: Any, ctx: Any) -> None:
        self.n += 1
        action = self.script.get(self.n)
        if action is not None:
            self.seen.append(action(ctx))

    def on_fill(self, fill: Any, ctx: Any) -> None:
        self.fills.append(fill)

    def on_order(self, order: Any, ctx: Any) -> None:
        self.orders.append(order)


async def _run(tmp_path: Path, prices: list[float], strategy: Strategy, **config: Any) -> DryRun:
    data = tmp_path / "data"
    write_collector_candles(data, markets=["BTCUSDT"], minutes=len(prices), prices=prices)
    risk = asdict(RiskSettings(order_notional=100.0, cooldown_s=0.0))
    cfg = DryRunConfig(replay=str(data), fee_bps="0", slippage_bps="0", risk=risk, **config)
    source = ReplaySource(str(data))
    await source.start()
    engine = DryRun(Ledger(tmp_path / "l.sqlite3"), source, cfg, strategy=strategy)
    await engine.open()
    await asyncio.wait_for(engine.run(), 60)
    return engine


def _fills(engine: DryRun) -> list[tuple[str, Decimal, Decimal]]:
    return [(f["side"], f["price"], f["quantity"]) for f in engine.ledger.fills(engine.run_id)]


def _reasons(engine: DryRun) -> list[str]:
    reasons = engine.ledger.order_reasons(engine.run_id)
    return [reasons.get(f["client_order_id"], "") for f in engine.ledger.fills(engine.run_id)]


async def test_market_buy_by_quote_then_stop_loss_sells_at_the_next_price(tmp_path: Path) -> None:
    s = Scripted(
        {
            1: lambda ctx: ctx.buy("BTCUSDT", quote=200, reason="entry"),
            2: lambda ctx: ctx.stop_loss("BTCUSDT", 95),
        }
    )
    engine = await _run(tmp_path, [100, 100, 98, 94, 90, 80], s)
    assert _fills(engine) == [("BUY", D("100.00"), D("2")), ("SELL", D("94.00"), D("2"))]
    assert _reasons(engine) == ["entry", "stop-loss"]
    assert [f.reason for f in s.fills] == ["entry", "stop-loss"]
    assert s.fills[-1].position == 0  # the strategy is told its position is closed


async def test_take_profit_limit_rests_after_triggering(tmp_path: Path) -> None:
    s = Scripted(
        {
            1: lambda ctx: ctx.buy("BTCUSDT", quantity=1),
            2: lambda ctx: ctx.take_profit("BTCUSDT", 110, limit=109),
        }
    )
    # triggers at 111 (>= 110): a sell limit at 109 below the market takes at once at the touch
    engine = await _run(tmp_path, [100, 105, 111, 112], s)
    assert _fills(engine)[-1] == ("SELL", D("111.00"), D("1"))
    assert _reasons(engine)[-1] == "take-profit"


async def test_trailing_stop_follows_the_high_and_fires_once(tmp_path: Path) -> None:
    s = Scripted(
        {
            1: lambda ctx: ctx.buy("BTCUSDT", quantity=1),
            2: lambda ctx: ctx.trailing_stop("BTCUSDT", 500),  # 5% below the highest since
        }
    )
    # high 120 at minute 5 -> fires at <= 114: 116 does not, 113 does; nothing after it
    engine = await _run(tmp_path, [100, 100, 110, 115, 120, 116, 113, 100, 90], s)
    assert _fills(engine) == [("BUY", D("100.00"), D("1")), ("SELL", D("113.00"), D("1"))]
    assert _reasons(engine) == ["buy BTCUSDT", "trailing-stop"]


async def test_limit_entry_waits_for_the_price_and_can_be_replaced(tmp_path: Path) -> None:
    ids: dict[str, str] = {}

    def enter(ctx: Any) -> None:
        ids["first"] = ctx.buy("BTCUSDT", quantity=1, price=90, reason="dip")

    def move(ctx: Any) -> None:
        assert [o.client_order_id for o in ctx.open_orders("BTCUSDT")] == [ids["first"]]
        ids["second"] = ctx.replace(ids["first"], price=95)

    s = Scripted({1: enter, 2: move})
    engine = await _run(tmp_path, [100, 99, 97, 94, 96], s)
    orders = {o.client_order_id: o for o in engine.ledger.orders(engine.run_id)}
    assert orders[ids["first"]].status.value == "CANCELED"
    assert _fills(engine) == [("BUY", D("95"), D("1"))]
    assert _reasons(engine) == ["dip"]


async def test_post_only_that_would_take_is_rejected(tmp_path: Path) -> None:
    s = Scripted({1: lambda ctx: ctx.buy("BTCUSDT", quantity=1, price=105, post_only=True)})
    engine = await _run(tmp_path, [100, 101], s)
    assert _fills(engine) == []
    notes = [r["note"] for r in engine.ledger.signals(engine.run_id)]
    assert "would immediately match" in notes[0]


async def test_oco_take_profit_fill_cancels_the_stop(tmp_path: Path) -> None:
    legs: dict[str, tuple[str, str]] = {}
    s = Scripted(
        {
            1: lambda ctx: ctx.buy("BTCUSDT", quantity=1),
            2: lambda ctx: legs.setdefault("oco", ctx.oco("BTCUSDT", take_profit=110, stop=95)),
        }
    )
    engine = await _run(tmp_path, [100, 100, 105, 111, 90, 80], s)
    assert _fills(engine) == [("BUY", D("100.00"), D("1")), ("SELL", D("110"), D("1"))]
    orders = {o.client_order_id: o for o in engine.ledger.orders(engine.run_id)}
    tp, stop = legs["oco"]
    assert orders[tp].status.value == "FILLED"
    assert orders[stop].status.value == "CANCELED"  # never fired on the drop to 90
    assert orders[stop].order_list_id == orders[tp].order_list_id is not None


async def test_oco_stop_trigger_cancels_the_take_profit(tmp_path: Path) -> None:
    legs: dict[str, tuple[str, str]] = {}
    s = Scripted(
        {
            1: lambda ctx: ctx.buy("BTCUSDT", quantity=1),
            2: lambda ctx: legs.setdefault("oco", ctx.oco("BTCUSDT", take_profit=110, stop=95)),
        }
    )
    engine = await _run(tmp_path, [100, 100, 96, 94, 111, 120], s)
    assert _fills(engine) == [("BUY", D("100.00"), D("1")), ("SELL", D("94.00"), D("1"))]
    orders = {o.client_order_id: o for o in engine.ledger.orders(engine.run_id)}
    tp, _ = legs["oco"]
    assert orders[tp].status.value == "CANCELED"
    assert _reasons(engine)[-1] == "stop-loss"


async def test_context_shows_position_cash_and_unrealised_pnl(tmp_path: Path) -> None:
    s = Scripted(
        {
            1: lambda ctx: ctx.buy("BTCUSDT", fraction="0.05"),  # 5% of 10,000 at 100: 5
            3: lambda ctx: (ctx.position("BTCUSDT"), ctx.cash, ctx.equity),
        }
    )
    await _run(tmp_path, [100, 110, 120], s)
    position, cash, equity = s.seen[1]
    assert position.quantity == D("5") and position.avg_entry == D("100.00")
    assert position.unrealized_pnl == D("100.00")
    assert cash == D("9500.00") and equity == D("10100.00")


async def test_an_entry_beyond_the_position_limit_is_refused(tmp_path: Path) -> None:
    s = Scripted({1: lambda ctx: ctx.buy("BTCUSDT", fraction="0.5")})  # 5,000 > max 1,000
    engine = await _run(tmp_path, [100, 101], s)
    [decision] = engine.ledger.signals(engine.run_id)
    assert not decision["accepted"] and "max position" in decision["note"]


async def test_close_at_end_sells_with_the_reason_end_of_run(tmp_path: Path) -> None:
    s = Scripted({1: lambda ctx: ctx.buy("BTCUSDT", quantity=1)})
    engine = await _run(tmp_path, [100, 101, 102], s, close_at_end=True)
    assert _fills(engine)[-1][0] == "SELL"
    assert _reasons(engine)[-1] == "end-of-run"
    assert engine.portfolio.quantity("BTCUSDT") == 0


async def test_a_sell_without_a_position_is_refused_with_the_reason(tmp_path: Path) -> None:
    s = Scripted({1: lambda ctx: ctx.sell("BTCUSDT")})
    engine = await _run(tmp_path, [100, 101], s)
    [decision] = engine.ledger.signals(engine.run_id)
    assert not decision["accepted"] and "nothing to sell" in decision["note"]


class WrongReturn(Strategy):
    name = "wrong"

    def on_tick(self, tick: Any, ctx: Any) -> Any:
        return "BUY"


async def test_on_tick_returning_the_wrong_type_is_exit_2_naming_file_and_line(
    tmp_path: Path,
) -> None:
    with pytest.raises(UsageError) as caught:
        await _run(tmp_path, [100, 101], WrongReturn())
    assert caught.value.exit_code == 2
    assert f"{__file__}:" in caught.value.message and "on_tick returned str" in caught.value.message


RULES = SymbolRules("BTCUSDT", "BTC", "USDT", D("0.01"), D("0.001"), D("0.001"), None, D("0.01"))


@settings(max_examples=300, deadline=None)
@given(
    how=st.sampled_from(["quantity", "quote", "fraction", "risk"]),
    amount=st.decimals(min_value=D("0.0001"), max_value=D("100000"), places=4),
    price=st.decimals(min_value=D("0.01"), max_value=D("200000"), places=2),
    stop_gap=st.decimals(min_value=D("0.01"), max_value=D("1000"), places=2),
)
def test_sizing_always_lands_on_the_lot_grid_above_the_minimums(
    how: str, amount: Decimal, price: Decimal, stop_gap: Decimal
) -> None:
    kwargs: dict[str, Any] = {how: D("0.5") if how == "fraction" else amount}
    if how == "risk":
        kwargs["stop"] = price - stop_gap
    try:
        qty = size_quantity(
            Size.of(**kwargs), Side.BUY, price=price, equity=D("10000"), held=D(0), rules=RULES
        )
    except SizingRefused:
        return
    assert qty > 0 and qty % RULES.step_size == 0
    assert qty >= RULES.min_qty and qty * price >= RULES.min_notional
    if how == "quote":
        assert qty * price <= amount  # never more than asked
    if how == "risk":
        assert qty * stop_gap <= amount  # the loss at the stop stays within the budget


async def test_close_on_halt_sells_with_the_reason_risk_halt(tmp_path: Path) -> None:
    s = Scripted({1: lambda ctx: ctx.buy("BTCUSDT", quantity=5)})
    engine = await _run(tmp_path, [100, 90, 70, 60], s, max_loss=100.0, close_on_halt=True)
    assert _fills(engine)[-1] == ("SELL", D("70.00"), D("5"))  # loss 150 >= 100 at 70
    assert _reasons(engine)[-1] == "risk-halt"


class TrailAndStop(Strategy):
    """Buys on the first tick, then holds a trailing stop; stops the run at tick ``stop_at``."""

    name = "trail"

    def __init__(self, stop_at: int = 0) -> None:
        super().__init__()
        self.n, self.stop_at = 0, stop_at
        self.stops: list[asyncio.Event] = []

    def on_tick(self, tick: Any, ctx: Any) -> None:
        self.n += 1
        if self.n == 1:
            ctx.buy("BTCUSDT", quantity=1)
        elif self.n == 2:
            ctx.trailing_stop("BTCUSDT", 500)
        if self.n == self.stop_at:
            for event in self.stops:
                event.set()


async def test_a_held_trailing_stop_survives_an_interruption_and_resume(tmp_path: Path) -> None:
    prices = [100, 100, 110, 120, 118, 116, 113, 100]
    whole = await _run(tmp_path / "whole", prices, TrailAndStop())
    data = tmp_path / "data"
    write_collector_candles(data, markets=["BTCUSDT"], minutes=len(prices), prices=prices)
    risk = asdict(RiskSettings(order_notional=100.0, cooldown_s=0.0))
    cfg = DryRunConfig(replay=str(data), fee_bps="0", slippage_bps="0", risk=risk)
    ledger = Ledger(tmp_path / "l.sqlite3")
    stop = asyncio.Event()
    source = ReplaySource(str(data))
    await source.start()
    strategy = TrailAndStop(5)
    first = DryRun(ledger, source, cfg, strategy=strategy)
    strategy.stops = [stop, first.stop]
    await first.open()
    assert not await asyncio.wait_for(first.run(stop), 60)  # interrupted after the high of 120
    [held] = ledger.orders(first.run_id, open_only=True, held=True)
    assert held.type.value == "STOP_LOSS" and held.trailing_delta == 500
    source = ReplaySource(str(data))
    await source.start()
    again = DryRun(ledger, source, cfg, run_id=first.run_id, resume=True, strategy=TrailAndStop())
    await again.open()
    assert await asyncio.wait_for(again.run(), 60)
    # the high of 120 seen before the interruption still counts: fires at 113 (<= 114)
    assert (
        _fills(again)
        == _fills(whole)
        == [
            ("BUY", D("100.00"), D("1")),
            ("SELL", D("113.00"), D("1")),
        ]
    )
