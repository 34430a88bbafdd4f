"""What `letrade strategy new NAME` writes: a small tick-based strategy and its pytest test."""

from __future__ import annotations

import keyword
import os
import tempfile
from pathlib import Path

from letrade_cli.core.errors import UsageError

# Names the generated file imports: a class named like one would shadow it.
_IMPORTED = {"Param", "Side", "Signal", "Strategy", "Tick", "Any", "deque"}

STRATEGY = '''"""{cls}: buy when the price crosses above its moving average, sell when below it.

Written by `letrade strategy new {name}`: edit it, then
    pytest test_{name}.py
    letrade dryrun --minutes 10 --venue sim -s BTCUSDT \\
        --strategy {name}.py:{cls} --param window=30
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from letrade_cli.strategy import Param, Side, Signal, Strategy, Tick


class {cls}(Strategy):
    """Moving-average crossing on the tick price, one position per symbol."""

    name = "{dashed}"
    window = Param(20, min=2, max=10_000, help="ticks in the moving average")
    band_pct = Param(0.0, min=0.0, max=10.0, help="how far past the average, in %")

    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(params)  # sets window and band_pct, checked
        self._prices: dict[str, deque[float]] = {{}}
        self._long: dict[str, bool] = {{}}

    def on_tick(self, tick: Tick, ctx: Any) -> list[Signal]:
        """A BUY when the price crosses above the average, a SELL below it."""
        price = tick.price  # last trade, else mid
        if price is None:
            return []
        prices = self._prices.setdefault(tick.symbol, deque(maxlen=self.window))
        ready = len(prices) == self.window
        mean = sum(prices) / len(prices) if ready else 0.0
        prices.append(price)  # bounded: a long run keeps flat memory
        if not ready:
            return []
        band = mean * self.band_pct / 100
        long = self._long.get(tick.symbol, False)
        if not long and price > mean + band:
            self._long[tick.symbol] = True
            reason = f"{{price:g}} above the {{self.window}}-tick average {{mean:g}}"
            return [Signal(tick.symbol, Side.BUY, reason, tick_recv_ns=tick.recv_ns)]
        if long and price < mean - band:
            self._long[tick.symbol] = False
            reason = f"{{price:g}} below the {{self.window}}-tick average {{mean:g}}"
            return [Signal(tick.symbol, Side.SELL, reason, tick_recv_ns=tick.recv_ns)]
        return []
'''

TEST = '''"""{cls} over a few synthetic ticks: flat, up (a BUY), then down (a SELL)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from letrade_cli.strategy import Side, Tick  # noqa: E402
from {name} import {cls}  # noqa: E402


def _ticks(prices: list[float]) -> list[Tick]:
    return [
        Tick(
            venue="sim",
            symbol="BTCUSDT",
            channel="trade",
            bid=None,
            ask=None,
            last=price,
            size=1.0,
            event_time_ms=n,
            recv_ns=n,
            seq=n,
        )
        for n, price in enumerate(prices)
    ]


def test_buys_on_the_way_up_then_sells_on_the_way_down() -> None:
    strategy = {cls}({{"window": "5"}})  # --param values arrive as strings
    prices = [100.0] * 5 + [101.0, 102.0, 103.0] + [99.0, 98.0]
    signals = [s for tick in _ticks(prices) for s in strategy.on_tick(tick, None)]
    assert [s.side for s in signals] == [Side.BUY, Side.SELL]
    assert all(s.symbol == "BTCUSDT" for s in signals)
'''


def write_strategy(name: str, directory: Path, *, force: bool = False) -> tuple[Path, Path]:
    """Write ``NAME.py`` and ``test_NAME.py`` in ``directory``; both paths."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise UsageError(
            f"'{name}' is not a valid module name",
            hint="use letters, digits and _, not starting with a digit (e.g. my_trend)",
        )
    from letrade_cli.cli.strategy import class_name

    cls = class_name(name)
    if cls in _IMPORTED:
        cls = f"My{cls}"
    strategy, test = directory / f"{name}.py", directory / f"test_{name}.py"
    existing = [str(p) for p in (strategy, test) if p.exists()]
    if existing and not force:
        verb = "exists" if len(existing) == 1 else "exist"
        raise UsageError(
            f"{' and '.join(existing)} already {verb}", hint="pass --force to overwrite"
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {directory}: {exc.strerror}") from None
    fields = {"name": name, "cls": cls, "dashed": name.replace("_", "-")}
    _write_atomic(strategy, STRATEGY.format(**fields))
    _write_atomic(test, TEST.format(**fields))
    return strategy, test


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory."""
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write in {path.parent}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
