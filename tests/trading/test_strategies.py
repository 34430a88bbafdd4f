"""Strategies on synthetic series: one cross -> exactly one signal; user classes by module:Class."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from letrade_cli.core.cache import PriceCache
from letrade_cli.core.errors import ConfigError, UsageError
from letrade_cli.core.orders import Side, Signal
from letrade_cli.core.tick import Tick
from letrade_cli.trading.strategies import Strategy, StrategyContext, load_strategy


def _run(strategy: Strategy, prices: list[float]) -> list[tuple[int, Signal]]:
    ctx = StrategyContext(PriceCache(ttl_ns=None))
    out = []
    for n, price in enumerate(prices):
        tick = Tick("binance", "BTCUSDT", "trade", None, None, price, 1.0, 0, n, n)
        out.extend((n, s) for s in strategy.on_tick(tick, ctx))
    return out


def test_one_sma_cross_up_gives_exactly_one_buy() -> None:
    prices = [100.0 - i * 0.1 for i in range(40)] + [96.0 + i * 0.5 for i in range(40)]
    signals = _run(load_strategy("sma_cross", {"fast": 3, "slow": 10}), prices)
    assert [s.side for _, s in signals] == [Side.BUY]
    assert "cross up" in signals[0][1].reason


def test_sma_cross_down_after_up() -> None:
    prices = (
        [100.0 - i for i in range(20)]
        + [80.0 + i for i in range(30)]
        + [110.0 - i for i in range(30)]
    )
    sides = [s.side for _, s in _run(load_strategy("sma-cross", {"fast": 3, "slow": 8}), prices)]
    assert sides == [Side.BUY, Side.SELL]


def test_mean_reversion_buys_the_dip_and_sells_at_the_mean() -> None:
    prices = [100.0, 101.0] * 10 + [90.0] + [100.5] * 5
    signals = _run(load_strategy("mean-reversion", {"window": 20, "entry_z": 2.0}), prices)
    assert [(n, s.side) for n, s in signals] == [(20, Side.BUY), (21, Side.SELL)]


def test_breakout_enters_on_a_new_high_and_exits_on_a_new_low() -> None:
    prices = [100.0, 101.0] * 5 + [105.0, 104.0, 103.0] + [99.0]
    signals = _run(load_strategy("breakout", {"lookback": 10, "exit_lookback": 3}), prices)
    assert [(n, s.side) for n, s in signals] == [(10, Side.BUY), (13, Side.SELL)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=1, max_value=1000), min_size=0, max_size=200))
def test_signals_alternate_for_any_series(prices: list[float]) -> None:
    for name in ("sma-cross", "mean-reversion", "breakout"):
        sides = [s.side for _, s in _run(load_strategy(name, {}), prices)]
        assert all(a != b for a, b in itertools.pairwise(sides)), name
        if name != "sma-cross" and sides:
            assert sides[0] is Side.BUY


def test_a_users_class_by_module_and_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_strategy.py").write_text(
        "from letrade_cli.core.orders import Side, Signal\n"
        "class EveryTenth:\n"
        "    name = 'every-tenth'\n"
        "    def __init__(self, params):\n"
        "        self.n = 0\n"
        "        self.every = int(params.get('every', 10))\n"
        "    def on_tick(self, tick, ctx):\n"
        "        self.n += 1\n"
        "        return [Signal(tick.symbol, Side.BUY)] if self.n % self.every == 0 else []\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    strategy = load_strategy("my_strategy:EveryTenth", {"every": 5})
    assert strategy.name == "every-tenth"
    assert len(_run(strategy, [1.0] * 20)) == 4
    sys.modules.pop("my_strategy", None)


def test_unknown_strategy_and_bad_params_name_the_fix() -> None:
    with pytest.raises(UsageError, match="unknown strategy 'nope'"):
        load_strategy("nope")
    with pytest.raises(UsageError, match="cannot import"):
        load_strategy("no_such_module_xyz:Thing")
    with pytest.raises(ConfigError, match="fast must be smaller"):
        load_strategy("sma-cross", {"fast": 50, "slow": 10})
    with pytest.raises(ConfigError, match=r"params\.window must be a number"):
        load_strategy("mean-reversion", {"window": "wide"})
