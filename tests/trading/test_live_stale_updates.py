"""Regressions found by ``letrade bench restart`` (kill -9 and network faults during trade run).

1. A pushed order update older than what was already reported (``NEW`` with nothing filled,
   pushed after the order's answer reported it ``FILLED``) regressed the order in the ledger:
   it stayed ``NEW`` there while final on the venue.
2. The account session pushes every order of the account: another run's (or a person's) fills
   were booked into this run's portfolio and ledger.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from letrade_cli.core.orders import Fill, OrderState, OrderStatus, OrderType, Side
from letrade_cli.trading.dryrun import DryRun, DryRunConfig
from letrade_cli.trading.ledger import Ledger
from letrade_cli.trading.live import LiveVenue
from letrade_cli.venues.base import AccountEvent
from letrade_cli.venues.registry import venue_spec

from .orders_support import SIM_KEYS


def state(cid: str, status: OrderStatus, filled: str) -> OrderState:
    return OrderState(
        venue="sim", symbol="BTCUSDT", client_order_id=cid, side=Side.BUY,
        type=OrderType.MARKET, quantity=Decimal("0.001"), status=status,
        filled_qty=Decimal(filled),
    )  # fmt: skip


def fill(cid: str, trade_id: str) -> Fill:
    return Fill(
        venue="sim", symbol="BTCUSDT", client_order_id=cid, side=Side.BUY,
        price=Decimal(50000), quantity=Decimal("0.001"), fee=Decimal(0), fee_asset="USDT",
        trade_id=trade_id, ts_ms=1,
    )  # fmt: skip


def test_a_pushed_update_older_than_the_reported_fills_is_dropped() -> None:
    venue = LiveVenue(venue_spec("sim"), SIM_KEYS, rest_url="http://127.0.0.1:9")
    told: list[tuple[OrderState, Fill | None]] = []
    venue.subscribe(lambda s, f: told.append((s, f)))
    filled = state("r1-1", OrderStatus.FILLED, "0.001")
    venue._report(filled, [fill("r1-1", "7")])  # the order's answer: filled, with its trade
    venue._untrack_if_final(filled)
    venue._on_account_event(AccountEvent("order", state("r1-1", OrderStatus.NEW, "0")))
    venue._on_account_event(AccountEvent("order", filled, fill("r1-1", "7")))  # the same trade
    assert [(s.status, f is not None) for s, f in told] == [(OrderStatus.FILLED, True)]
    # A resting order's first push still goes through, and a cancel after it.
    venue._on_account_event(AccountEvent("order", state("r1-2", OrderStatus.NEW, "0")))
    venue._on_account_event(AccountEvent("order", state("r1-2", OrderStatus.CANCELED, "0")))
    venue._on_account_event(AccountEvent("order", state("r1-2", OrderStatus.NEW, "0")))
    assert [s.status for s, _ in told[1:]] == [OrderStatus.NEW, OrderStatus.CANCELED]
    asyncio.run(venue.client.close())


async def test_the_engine_ignores_the_account_s_orders_of_other_runs(tmp_path: Path) -> None:
    class Venue:
        name = "sim"

        def subscribe(self, listener: Any) -> None:
            pass

    source: Any = SimpleNamespace(cache=None, split_symbol=lambda s: ("BTC", "USDT"))
    ledger = Ledger(tmp_path / "l.sqlite3")
    try:
        engine = DryRun(
            ledger, source, DryRunConfig(symbols=["BTCUSDT"]), run_id="rmine",
            strategy=SimpleNamespace(name="x", on_tick=lambda t, c: []), venue=Venue(),  # type: ignore[arg-type]
        )  # fmt: skip
        engine._on_order(state("rother-3", OrderStatus.FILLED, "0.001"), fill("rother-3", "9"))
        assert engine._pending == [] and engine.portfolio.quantity("BTCUSDT") == 0
        engine._pending.clear()
        engine._on_order(state("rmine-1", OrderStatus.FILLED, "0.001"), fill("rmine-1", "10"))
        assert engine.portfolio.quantity("BTCUSDT") == Decimal("0.001")
    finally:
        ledger.close()
