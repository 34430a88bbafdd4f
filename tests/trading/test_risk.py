"""Each risk limit fires: position, total notional, daily loss, stop-loss/take-profit, cooldown."""

from __future__ import annotations

from decimal import Decimal

from letrade_cli.config.trading import RiskSettings
from letrade_cli.core.orders import Fill, Side, Signal
from letrade_cli.trading.portfolio import Portfolio
from letrade_cli.trading.risk import RiskManager

D = Decimal


def _buy(portfolio: Portfolio, symbol: str, price: str, qty: str) -> None:
    portfolio.apply(Fill("paper", symbol, "x", Side.BUY, D(price), D(qty), D(0), "USDT", "t", 0))


def _settings(**kw: float) -> RiskSettings:
    base = {
        "order_notional": 100.0,
        "max_position_notional": 0.0,
        "max_total_notional": 0.0,
        "max_daily_loss": 0.0,
        "cooldown_s": 0.0,
    }
    base.update(kw)
    return RiskSettings(**base)  # type: ignore[arg-type]


def test_an_entry_is_sized_from_the_order_notional() -> None:
    risk = RiskManager(_settings())
    decision = risk.decide(
        Signal("BTCUSDT", Side.BUY), 0, Portfolio("USDT", D(1000)), {"BTCUSDT": D(30)}
    )
    assert decision.intent is not None and decision.intent.quantity == D("3.33333333")


def test_max_position_per_symbol() -> None:
    risk = RiskManager(_settings(max_position_notional=250.0))
    portfolio = Portfolio("USDT", D(1000))
    _buy(portfolio, "BTCUSDT", "100", "2")  # 200 held: 100 more would make 300
    decision = risk.decide(Signal("BTCUSDT", Side.BUY), 0, portfolio, {"BTCUSDT": D(100)})
    assert decision.intent is None and "max position" in decision.reason


def test_max_total_notional() -> None:
    risk = RiskManager(_settings(max_total_notional=250.0))
    portfolio = Portfolio("USDT", D(1000))
    _buy(portfolio, "ETHUSDT", "100", "2")
    marks = {"BTCUSDT": D(100), "ETHUSDT": D(100)}
    decision = risk.decide(Signal("BTCUSDT", Side.BUY), 0, portfolio, marks)
    assert decision.intent is None and "max total notional" in decision.reason


def test_daily_loss_halts_entries_but_not_exits_and_resets_next_day() -> None:
    risk = RiskManager(_settings(max_daily_loss=50.0))
    portfolio = Portfolio("USDT", D(1000))
    _buy(portfolio, "BTCUSDT", "100", "5")
    risk.new_day(1_000, portfolio.equity({"BTCUSDT": D(100)}))
    assert not risk.check_daily_loss(portfolio.equity({"BTCUSDT": D(95)}))  # -25
    assert risk.check_daily_loss(portfolio.equity({"BTCUSDT": D(90)}))  # -50: halt
    marks = {"BTCUSDT": D(90)}
    entry = risk.decide(Signal("BTCUSDT", Side.BUY), 2_000, portfolio, marks)
    assert entry.intent is None and "halted" in entry.reason
    exit_ = risk.decide(Signal("BTCUSDT", Side.SELL), 2_000, portfolio, marks)
    assert exit_.intent is not None and exit_.intent.quantity == D(5)
    risk.new_day(86_400_000 + 5, portfolio.equity(marks))
    assert not risk.halted


def test_stop_loss_and_take_profit() -> None:
    risk = RiskManager(_settings(stop_loss_pct=2.0, take_profit_pct=5.0))
    portfolio = Portfolio("USDT", D(1000))
    _buy(portfolio, "BTCUSDT", "100", "1")
    assert risk.exit_signal("BTCUSDT", D("98.5"), portfolio, 0) is None
    stop = risk.exit_signal("BTCUSDT", D("98"), portfolio, 0)
    assert stop is not None and stop.side is Side.SELL and "stop-loss" in stop.reason
    take = risk.exit_signal("BTCUSDT", D("105"), portfolio, 0)
    assert take is not None and "take-profit" in take.reason


def test_cooldown_between_signals() -> None:
    risk = RiskManager(_settings(cooldown_s=60.0))
    portfolio = Portfolio("USDT", D(1000))
    marks = {"BTCUSDT": D(100)}
    assert risk.decide(Signal("BTCUSDT", Side.BUY), 0, portfolio, marks).intent is not None
    _buy(portfolio, "BTCUSDT", "100", "1")
    blocked = risk.decide(Signal("BTCUSDT", Side.SELL), 59_999, portfolio, marks)
    assert blocked.intent is None and "cooldown" in blocked.reason
    forced = risk.decide(Signal("BTCUSDT", Side.SELL), 59_999, portfolio, marks, forced=True)
    assert forced.intent is not None  # a stop-loss exit skips the cooldown
    assert risk.decide(Signal("ETHUSDT", Side.BUY), 1, portfolio, {"ETHUSDT": D(1)}).intent


def test_nothing_to_sell() -> None:
    risk = RiskManager(_settings())
    decision = risk.decide(Signal("BTCUSDT", Side.SELL), 0, Portfolio("USDT", D(1)), {})
    assert decision.intent is None and decision.reason == "nothing to sell"


def test_venue_filters_floor_the_quantity_and_refuse_a_too_small_entry() -> None:
    from letrade_cli.core.orders import SymbolRules

    rules = {
        "BTCUSDT": SymbolRules(
            "BTCUSDT",
            "BTC",
            "USDT",
            D("0.01"),
            D("0.00001"),
            min_qty=D("0.00001"),
            min_notional=D("5"),
        ),
    }
    risk = RiskManager(_settings(order_notional=100.0))
    marks = {"BTCUSDT": D("30000")}
    decision = risk.decide(
        Signal("BTCUSDT", Side.BUY), 0, Portfolio("USDT", D(1000)), marks, rules=rules
    )
    assert decision.intent is not None and decision.intent.quantity == D("0.00333")
    small = RiskManager(_settings(order_notional=4.0))
    refused = small.decide(
        Signal("BTCUSDT", Side.BUY), 0, Portfolio("USDT", D(1000)), marks, rules=rules
    )
    assert refused.intent is None and "minimum" in refused.reason


def test_a_sell_is_floored_to_the_lot_size_and_keeps_the_dust() -> None:
    from letrade_cli.core.orders import SymbolRules

    rules = {"BTCUSDT": SymbolRules("BTCUSDT", "BTC", "USDT", D("0.01"), D("0.00001"),
                                    min_qty=D("0.00001"))}  # fmt: skip
    portfolio = Portfolio("USDT", D(1000))
    _buy(portfolio, "BTCUSDT", "30000", "0.00084915")  # 0.00085 less a fee taken in BTC
    risk = RiskManager(_settings())
    decision = risk.decide(Signal("BTCUSDT", Side.SELL), 0, portfolio, {}, rules=rules)
    assert decision.intent is not None and decision.intent.quantity == D("0.00084")
    dust = Portfolio("USDT", D(1000))
    _buy(dust, "BTCUSDT", "30000", "0.000009")
    refused = risk.decide(Signal("BTCUSDT", Side.SELL), 0, dust, {}, rules=rules)
    assert refused.intent is None and "minimum quantity" in refused.reason
    assert risk.decide(Signal("BTCUSDT", Side.SELL), 0, dust, {}).intent is not None


def test_strength_scales_the_entry_notional() -> None:
    from decimal import Decimal

    from letrade_cli.config.trading import RiskSettings
    from letrade_cli.core.orders import Side, Signal
    from letrade_cli.trading.portfolio import Portfolio
    from letrade_cli.trading.risk import RiskManager

    risk = RiskManager(RiskSettings(order_notional=100.0, cooldown_s=0.0))
    marks = {"BTCUSDT": Decimal("100")}
    portfolio = Portfolio("USDT", Decimal("10000"))
    full = risk.decide(Signal("BTCUSDT", Side.BUY, "", 1.0), 0, portfolio, marks)
    tenth = risk.decide(Signal("BTCUSDT", Side.BUY, "", 0.1), 1, portfolio, marks)
    assert full.intent is not None and full.intent.quantity == Decimal("1")
    assert tenth.intent is not None and tenth.intent.quantity == Decimal("0.1")
