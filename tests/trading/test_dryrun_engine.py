"""The engine over a replay: hand-computed PnL, stop-loss and halt in a run, flat memory, view."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

from rich.console import Console

from letrade_cli.config.trading import RiskSettings
from letrade_cli.core.tick import Tick
from letrade_cli.trading.dryrun import DryRun, DryRunConfig
from letrade_cli.trading.ledger import Ledger
from letrade_cli.trading.model import Side, Signal
from letrade_cli.trading.replay import ReplaySource
from letrade_cli.trading.strategies import StrategyContext
from letrade_cli.trading.synthetic import write_collector_candles
from letrade_cli.ui.dryrun import Heartbeat, dryrun_view, heartbeat_line

D = Decimal


class BuyOnce:
    """Buys on the first tick of each symbol, then sells when told to at tick ``sell_at``."""

    name = "buy-once"

    def __init__(self, sell_at: int | None = None) -> None:
        self.n = 0
        self.sell_at = sell_at

    def on_tick(self, tick: Tick, ctx: StrategyContext) -> Sequence[Signal]:
        self.n += 1
        if self.n == 1:
            return [Signal(tick.symbol, Side.BUY, "first tick")]
        if self.n == self.sell_at:
            return [Signal(tick.symbol, Side.SELL, "told to")]
        return []


def _config(data: Path, **risk: float) -> DryRunConfig:
    settings = asdict(RiskSettings(order_notional=100.0, cooldown_s=0.0))
    settings.update(risk)
    return DryRunConfig(replay=str(data), fee_bps="10", slippage_bps="0", risk=settings)


async def _run(tmp_path: Path, prices: list[float], strategy: BuyOnce, **risk: float) -> DryRun:
    data = tmp_path / "data"
    write_collector_candles(data, markets=["BTCUSDT"], minutes=len(prices), prices=prices)
    ledger = Ledger(tmp_path / "l.sqlite3")
    source = ReplaySource(str(data))
    await source.start()
    engine = DryRun(ledger, source, _config(data, **risk), strategy=strategy)
    await engine.open()
    assert await asyncio.wait_for(engine.run(), 60)
    return engine


async def test_pnl_and_fees_of_a_round_trip_by_hand(tmp_path: Path) -> None:
    engine = await _run(tmp_path, [100.0, 104.0, 110.0, 120.0], BuyOnce(sell_at=3))
    # buy 1 @ 100 (order_notional 100): fee 0.1; sell 1 @ 110: fee 0.11
    # cash = 10000 - 100.1 + 109.89 = 10009.79; realised = 109.89 - 100.1 = 9.79
    assert engine.portfolio.cash == D("10009.79")
    assert engine.portfolio.realized == D("9.79")
    assert engine.portfolio.fees == D("0.21")
    fills = engine.ledger.fills(engine.run_id)
    assert [(f["side"], f["price"], f["fee"]) for f in fills] == [
        ("BUY", D("100.00"), D("0.1")),
        ("SELL", D("110.00"), D("0.11")),
    ]
    assert D(engine.ledger.state(engine.run_id)["cash"]) == D("10009.79")


async def test_stop_loss_sells_inside_the_run(tmp_path: Path) -> None:
    engine = await _run(tmp_path, [100.0, 99.0, 97.0, 90.0], BuyOnce(), stop_loss_pct=2.0)
    fills = engine.ledger.fills(engine.run_id)
    assert [(f["side"], f["price"]) for f in fills] == [("BUY", D("100.00")), ("SELL", D("97.00"))]
    rows = engine.ledger.conn.execute("SELECT reason FROM signals ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["first tick", "stop-loss 2%"]


async def test_daily_loss_halts_new_entries(tmp_path: Path) -> None:
    class BuyEvery(BuyOnce):
        def on_tick(self, tick: Tick, ctx: StrategyContext) -> Sequence[Signal]:
            return [Signal(tick.symbol, Side.BUY, "again")]

    prices = [100.0, 50.0, 50.0, 50.0]
    engine = await _run(
        tmp_path, prices, BuyEvery(), max_daily_loss=40.0, max_position_notional=0.0,
        max_total_notional=0.0,
    )  # fmt: skip
    # tick 1 buys 1 @ 100; tick 2 halves it (-50.1 >= 40): halted before its own entry is sent
    assert engine.risk.halted
    notes = [r[0] for r in engine.ledger.conn.execute("SELECT note FROM signals ORDER BY id")]
    assert notes[0].startswith("FILLED")
    assert all("halted" in n for n in notes[2:]) and len(notes) == 4


async def test_memory_stays_flat_over_a_day_of_trading(tmp_path: Path) -> None:
    class Flip(BuyOnce):
        def on_tick(self, tick: Tick, ctx: StrategyContext) -> Sequence[Signal]:
            self.n += 1
            return [Signal(tick.symbol, Side.BUY if self.n % 2 else Side.SELL, "flip")]

    engine = await _run(tmp_path, [100.0 + (i % 7) for i in range(1440)], Flip())
    assert len(engine.ledger.fills(engine.run_id)) == 1440
    assert len(engine.manager.orders) == 0  # closed orders live in the ledger only
    assert len(engine.broker.orders) <= 1000
    assert len(engine.recent) <= 20
    assert engine.source.cache.size == 1


async def test_view_and_heartbeat_render(tmp_path: Path) -> None:
    engine = await _run(tmp_path, [100.0, 101.0, 102.0], BuyOnce())
    view = engine.view()
    console = Console(record=True, width=140)
    console.print(dryrun_view(view, "letrade dryrun"))
    text = console.export_text()
    for expected in ("BTCUSDT", "equity", "cache hit 100.0%", "first tick", "signal->ack latency"):
        assert expected in text
    line = heartbeat_line(view)
    assert line.startswith(f"dryrun {engine.run_id} ") and "positions=1" in line
    beat = Heartbeat(every_s=0.0)
    beat.maybe(view)  # due at once with every_s=0
