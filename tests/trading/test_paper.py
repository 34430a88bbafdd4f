"""The paper broker behind the OrderManager: fills, fees, slippage, partial fills, limits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from letrade_cli.core.errors import ExchangeRejectedError
from letrade_cli.core.orders import OrderIntent, OrderStatus, OrderType, Side, TimeInForce
from tests.trading.dryrun_helpers import PaperAccount, book, trade

D = Decimal


async def test_market_buy_takes_the_ask_and_pays_the_fee() -> None:
    acct = PaperAccount(fee_bps="10")
    await acct.manager.start()
    acct.tick(book("BTCUSDT", 100.0, 101.0, size=5.0))
    state = await acct.manager.submit(OrderIntent("BTCUSDT", Side.BUY, D("2")))
    # 2 @ 101 = 202; fee 10 bps = 0.202; cash 10000 - 202.202
    assert state.status is OrderStatus.FILLED
    assert state.avg_price == D("101")
    assert acct.portfolio.cash == D("9797.798")
    assert acct.portfolio.fees == D("0.202")
    assert acct.portfolio.quantity("BTCUSDT") == D("2")


async def test_round_trip_pnl_is_hand_computed() -> None:
    acct = PaperAccount(fee_bps="10")
    await acct.manager.start()
    acct.tick(book("BTCUSDT", 99.0, 100.0, size=10.0))
    await acct.manager.submit(OrderIntent("BTCUSDT", Side.BUY, D("0.1")))
    acct.tick(book("BTCUSDT", 110.0, 111.0, size=10.0, n=1))
    await acct.manager.submit(OrderIntent("BTCUSDT", Side.SELL, D("0.1")))
    # buy 10 + fee 0.01; sell 11 - fee 0.011 -> realised 10.989 - 10.01 = 0.979
    assert acct.portfolio.cash == D("10000.979")
    assert acct.portfolio.realized == D("0.979")
    assert acct.portfolio.fees == D("0.021")
    assert acct.portfolio.quantity("BTCUSDT") == 0


async def test_a_market_order_larger_than_the_top_walks_modelled_depth() -> None:
    acct = PaperAccount(fee_bps="0", slippage_bps="10")
    await acct.manager.start()
    acct.tick(book("BTCUSDT", 99.0, 100.0, size=1.0))
    state = await acct.manager.submit(OrderIntent("BTCUSDT", Side.BUY, D("2.5")))
    # levels: 1 @ 100, 1 @ 100.1, 0.5 @ 100.2 -> partial fills, then FILLED
    assert [(status, D(price)) for status, price in acct.events if price] == [
        ("PARTIALLY_FILLED", D("100")),
        ("PARTIALLY_FILLED", D("100.1")),
        ("FILLED", D("100.2")),
    ]
    assert state.quote_qty == D("100") + D("100.1") + D("50.1")


async def test_without_book_size_the_whole_order_pays_the_slippage() -> None:
    acct = PaperAccount(fee_bps="0", slippage_bps="10")
    await acct.manager.start()
    acct.tick(trade("BTCUSDT", 200.0))
    state = await acct.manager.submit(OrderIntent("BTCUSDT", Side.BUY, D("1")))
    assert state.avg_price == D("200.2")


async def test_a_limit_rests_until_the_market_trades_through_it() -> None:
    acct = PaperAccount(fee_bps="10")
    await acct.manager.start()
    acct.tick(book("BTCUSDT", 100.0, 101.0, size=5.0))
    state = await acct.manager.submit(
        OrderIntent("BTCUSDT", Side.BUY, D("1"), OrderType.LIMIT, D("99"))
    )
    assert state.status is OrderStatus.NEW
    acct.tick(book("BTCUSDT", 98.0, 99.0, size=5.0, n=1))  # touches 99, does not trade through
    assert (await acct.broker.get_order("BTCUSDT", state.client_order_id)).status is OrderStatus.NEW
    acct.tick(trade("BTCUSDT", 98.5, n=2))  # through
    done = await acct.broker.get_order("BTCUSDT", state.client_order_id)
    assert done is not None and done.status is OrderStatus.FILLED and done.avg_price == D("99")
    assert acct.portfolio.cash == D("10000") - D("99") - D("0.099")


async def test_ioc_keeps_what_fills_and_fok_fills_nothing_short() -> None:
    acct = PaperAccount(fee_bps="0", slippage_bps="10")
    await acct.manager.start()
    acct.tick(book("BTCUSDT", 99.0, 100.0, size=1.0))
    ioc = await acct.manager.submit(
        OrderIntent("BTCUSDT", Side.BUY, D("3"), OrderType.LIMIT, D("100.1"), TimeInForce.IOC)
    )
    assert ioc.status is OrderStatus.EXPIRED and ioc.filled_qty == D("2")
    fok = await acct.manager.submit(
        OrderIntent("BTCUSDT", Side.BUY, D("3"), OrderType.LIMIT, D("100.1"), TimeInForce.FOK)
    )
    assert fok.status is OrderStatus.EXPIRED and fok.filled_qty == 0


async def test_insufficient_cash_and_position_are_rejected() -> None:
    acct = PaperAccount(cash="100")
    await acct.manager.start()
    acct.tick(book("BTCUSDT", 99.0, 100.0, size=10.0))
    with pytest.raises(ExchangeRejectedError) as info:
        await acct.manager.submit(OrderIntent("BTCUSDT", Side.BUY, D("1")))
    assert info.value.code == -2010
    with pytest.raises(ExchangeRejectedError):
        await acct.manager.submit(OrderIntent("BTCUSDT", Side.SELL, D("1")))
    assert acct.portfolio.cash == D("100")


async def test_cancel_a_resting_order() -> None:
    acct = PaperAccount()
    await acct.manager.start()
    acct.tick(book("BTCUSDT", 100.0, 101.0, size=5.0))
    state = await acct.manager.submit(
        OrderIntent("BTCUSDT", Side.BUY, D("1"), OrderType.LIMIT, D("90"))
    )
    assert [o.client_order_id for o in await acct.manager.open_orders()] == [state.client_order_id]
    canceled = await acct.manager.cancel("BTCUSDT", state.client_order_id)
    assert canceled.status is OrderStatus.CANCELED
    assert await acct.manager.open_orders() == []


async def test_modelled_prices_sit_on_the_venues_tick_grid() -> None:
    from letrade_cli.core.orders import SymbolRules

    acct = PaperAccount(fee_bps="0", slippage_bps="3")
    acct.broker.venue_rules = {
        "BTCUSDT": SymbolRules("BTCUSDT", "BTC", "USDT", D("0.01"), D("0.00001"))
    }
    await acct.manager.start()
    acct.tick(book("BTCUSDT", 99.0, 100.0, size=1.0))
    await acct.manager.submit(OrderIntent("BTCUSDT", Side.BUY, D("2")))
    # level 1 is 100 * 1.0003 = 100.03 exactly; a sell's 99 * 0.9997 = 98.9703 rounds down
    assert [D(p) for _, p in acct.events if p] == [D("100"), D("100.03")]
    acct.events.clear()
    await acct.manager.submit(OrderIntent("BTCUSDT", Side.SELL, D("2")))
    assert [D(p) for _, p in acct.events if p] == [D("99"), D("98.97")]
