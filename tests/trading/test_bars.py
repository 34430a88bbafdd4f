"""Bars from ticks and candles, BarSeries arrays, the indicator helper, and no look-ahead."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from letrade_cli.core.errors import UsageError
from letrade_cli.core.tick import Tick
from letrade_cli.trading.bars import TIMEFRAMES, Bar, BarBuilder, BarSeries, parse_timeframe
from letrade_cli.trading.replay import CollectorDecoder

MIN = 60_000


def trade(ms: int, price: float, size: float = 1.0, symbol: str = "BTCUSDT") -> Tick:
    return Tick("sim", symbol, "trade", None, None, price, size, ms - 3, ms * 1_000_000)


def book(ms: int, bid: float, ask: float, symbol: str = "BTCUSDT") -> Tick:
    return Tick("sim", symbol, "bookTicker", bid, ask, None, 9.0, 0, ms * 1_000_000)


def candle(i: int, o: float, h: float, low: float, c: float, v: float, sym: str = "X") -> Tick:
    start = i * MIN
    end = start + MIN
    return Tick("sim", sym, "kline_1m", None, None, c, v, end, end * 1_000_000, i, o, h, low)


def feed(builder: BarBuilder, ticks: list[Tick]) -> list[Bar]:
    out: list[Bar] = []
    for t in ticks:
        out += builder.on_tick(t)
    return out


def test_parse_timeframe() -> None:
    assert parse_timeframe("1s") == 1_000
    assert parse_timeframe("5m") == 300_000
    assert parse_timeframe("1d") == 86_400_000
    assert len(TIMEFRAMES) == 14
    for bad in ("2m", "1w", "", "60"):
        with pytest.raises(UsageError) as err:
            parse_timeframe(bad)
        assert "15m" in (err.value.hint or "")
    with pytest.raises(UsageError):
        BarBuilder(["1m", "7m"])


def test_bars_from_trades_ohlcv_and_boundary() -> None:
    b = BarBuilder(["1m"])
    assert b.on_tick(trade(1_000, 10.0, 1.0)) == []
    assert b.on_tick(trade(20_000, 12.0, 2.0)) == []
    assert b.on_tick(trade(30_000, 9.0, 0.5)) == []
    assert b.on_tick(trade(59_999, 11.0, 1.5)) == []  # still inside [0, 60000)
    (bar,) = b.on_tick(trade(60_000, 13.0, 4.0))  # at its end: closes; belongs to the next
    assert bar == Bar("BTCUSDT", "1m", 0, MIN, 10.0, 12.0, 9.0, 11.0, 5.0, 4)
    (bar2,) = b.on_tick(trade(120_000, 1.0))
    assert (bar2.open, bar2.close, bar2.volume, bar2.trades) == (13.0, 13.0, 4.0, 1)


def test_book_ticks_give_prices_not_volume() -> None:
    b = BarBuilder(["1m"])
    feed(b, [book(0, 9.0, 11.0), trade(10_000, 12.0, 2.0), book(20_000, 7.0, 9.0)])
    (bar,) = b.on_tick(book(MIN, 1.0, 1.0))
    assert (bar.open, bar.high, bar.low, bar.close) == (10.0, 12.0, 8.0, 8.0)
    assert bar.volume == 2.0 and bar.trades == 1


def test_empty_intervals_make_no_bar() -> None:
    b = BarBuilder(["1m"])
    feed(b, [trade(5_000, 1.0)])
    closed = b.on_tick(trade(5 * MIN + 1, 2.0))  # minutes 1..4 had no tick
    assert [x.open_ms for x in closed] == [0]
    closed = b.on_tick(trade(7 * MIN, 3.0))
    assert [x.open_ms for x in closed] == [5 * MIN]
    assert len(b.series("BTCUSDT", "1m")) == 2


def test_several_symbols_and_timeframes() -> None:
    b = BarBuilder(["1m", "5m"])
    ticks = []
    for s in range(10 * 60):
        ms = s * 1_000
        ticks.append(trade(ms, 100.0 + s, 1.0, "AAA"))
        if s % 2:
            ticks.append(trade(ms, 50.0 - s / 100, 2.0, "BBB"))
    out = feed(b, ticks)
    out += b.on_tick(trade(10 * MIN, 1.0, 1.0, "AAA"))  # closes BBB's bars too: one clock
    a1 = b.series("AAA", "1m")
    assert len(a1) == 10 and len(b.series("BBB", "1m")) == 10
    assert len(b.series("AAA", "5m")) == 2 and len(b.series("BBB", "5m")) == 2
    assert a1[3].open == 100.0 + 180 and a1[3].close == 100.0 + 239 and a1[3].volume == 60.0
    b5 = b.series("BBB", "5m")[0]
    assert b5.volume == 150 * 2.0 and b5.trades == 150
    assert b5.high == 50.0 - 1 / 100 and b5.low == 50.0 - 299 / 100
    closes = [x.close_ms for x in out]
    assert closes == sorted(closes)


def test_candle_passthrough() -> None:
    b = BarBuilder(["1m"])
    (bar,) = b.on_tick(candle(3, 10.0, 14.0, 9.0, 12.0, 7.5))
    assert bar == Bar("X", "1m", 3 * MIN, 4 * MIN, 10.0, 14.0, 9.0, 12.0, 7.5, 0)


def test_candles_aggregate_to_5m() -> None:
    rows = [
        (10.0, 11.0, 9.5, 10.5, 1.0),
        (10.5, 13.0, 10.0, 12.0, 2.0),
        (12.0, 12.5, 8.0, 9.0, 3.0),
        (9.0, 10.0, 8.5, 9.5, 4.0),
        (9.5, 9.9, 9.1, 9.8, 5.0),
        (9.8, 20.0, 9.7, 19.0, 6.0),  # the next 5 minutes
    ]
    b = BarBuilder(["1m", "5m"])
    out = feed(b, [candle(i, *r) for i, r in enumerate(rows)])
    five = [x for x in out if x.timeframe == "5m"]
    assert five == [Bar("X", "5m", 0, 5 * MIN, 10.0, 13.0, 8.0, 9.8, 15.0, 0)]
    ones = [x for x in out if x.timeframe == "1m"]
    assert [(x.open, x.high, x.low, x.close, x.volume) for x in ones] == rows
    # the 5m bar closes with the 5th candle itself (the clock is at its end), not later
    b2 = BarBuilder(["5m"])
    got = [feed(b2, [candle(i, *r)]) for i, r in enumerate(rows[:5])]
    assert got[:4] == [[], [], [], []] and len(got[4]) == 1


def test_collector_candles_carry_ohlc() -> None:
    dec = CollectorDecoder("sim")
    line = b'{"market":"KRW-BTC","t":120000,"o":1.5,"h":3,"l":1,"c":2,"v":4,"qv":8}'
    tick = dec.decode(line, 180_000 * 1_000_000)
    assert tick is not None
    assert (tick.open, tick.high, tick.low, tick.last, tick.size) == (1.5, 3.0, 1.0, 2.0, 4.0)
    (bar,) = BarBuilder(["1m"]).on_tick(tick)
    assert bar == Bar("KRW-BTC", "1m", 120_000, 180_000, 1.5, 3.0, 1.0, 2.0, 4.0, 0)
    old = dec.decode(b'{"market":"M","t":0,"c":2,"v":1}', MIN * 1_000_000)
    assert old is not None and old.open is None and old.high is None and old.low is None


def test_candle_in_progress_updates_replace() -> None:
    b = BarBuilder(["1m"])

    def live(ms: int, o: float, h: float, low: float, c: float) -> Tick:
        return Tick("sim", "X", "kline_1m", None, None, c, None, ms, ms * 1_000_000, 0, o, h, low)

    assert b.on_tick(live(10_000, 5.0, 6.0, 5.0, 6.0)) == []
    assert b.on_tick(live(40_000, 5.0, 7.0, 4.0, 4.5)) == []  # the same candle, later state
    (bar,) = b.on_tick(live(60_010, 5.0, 7.0, 4.0, 4.2))  # the final update, after its end
    assert (bar.open, bar.high, bar.low, bar.close) == (5.0, 7.0, 4.0, 4.2)


def test_bar_series_arrays_and_ring() -> None:
    s = BarSeries("X", "1m", history=3)
    assert len(s) == 0 and s.close.shape == (0,)
    for i in range(5):
        s.append(Bar("X", "1m", i * MIN, (i + 1) * MIN, i, i + 2.0, i - 1.0, i + 1.0, 10.0 * i, 1))
    assert len(s) == 3 and s[-1].open_ms == 4 * MIN and s[0].open_ms == 2 * MIN
    assert s.close.dtype == np.float64
    np.testing.assert_array_equal(s.close, [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(s.open, [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(s.high, [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(s.low, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(s.volume, [20.0, 30.0, 40.0])
    np.testing.assert_array_equal(s.time, [2 * MIN, 3 * MIN, 4 * MIN])
    assert s.close is s.close  # cached until the next bar
    first = s.close
    s.append(Bar("X", "1m", 5 * MIN, 6 * MIN, 5, 7, 4, 6, 0, 0))
    assert s.close is not first and s.close[-1] == 6.0 and first[-1] == 5.0


def test_indicator_helper_matches_talipp() -> None:
    from talipp.indicators import ATR, EMA, RSI

    b = BarBuilder(["1m"], history=50)
    series = b.series("BTCUSDT", "1m")
    rsi = series.indicator("rsi", lambda: RSI(14), source="close")
    assert series.indicator("rsi") is rsi
    assert series.indicator("rsi", lambda: RSI(3)) is rsi  # declared once
    atr = series.indicator("atr", lambda: ATR(14), source="ohlcv")
    prices = [100 + 5 * math.sin(i / 3) for i in range(100)]
    feed(b, [trade(i * MIN + 1, p) for i, p in enumerate(prices)])
    bars = list(series)
    assert len(bars) == 50  # history kept; the indicator saw all 99 closed bars
    ref = RSI(14, input_values=prices[:99])
    assert rsi[-1] == pytest.approx(ref[-1])
    assert len(rsi) == 99 and atr[-1] is not None
    late = series.indicator("ema", lambda: EMA(10))  # declared late: warmed on the kept bars
    assert late[-1] == pytest.approx(EMA(10, input_values=[x.close for x in bars])[-1])
    with pytest.raises(UsageError):
        series.indicator("nope")
    with pytest.raises(UsageError):
        series.indicator("bad", lambda: EMA(3), source="vwap")


def test_indicator_memory_is_bounded() -> None:
    from talipp.indicators import BB, RSI

    s = BarSeries("X", "1m", history=3)
    rsi = s.indicator("rsi", lambda: RSI(14))
    bb = s.indicator("bb", lambda: BB(20, 2))
    closes = [100 + 3 * math.sin(i / 5) + i / 100 for i in range(2_500)]
    for i, c in enumerate(closes):
        s.append(Bar("X", "1m", i * MIN, (i + 1) * MIN, c, c, c, c, 1.0, 1))
    assert len(rsi) < 1_000 and len(bb) < 1_000
    assert rsi[-1] == pytest.approx(RSI(14, input_values=closes)[-1])
    assert bb[-1].ub == pytest.approx(BB(20, 2, input_values=closes)[-1].ub)


def test_talib_runs_on_series_arrays() -> None:
    talib = pytest.importorskip("talib")
    b = BarBuilder(["1m"])
    feed(b, [trade(i * MIN + 1, 100 + (i % 7)) for i in range(40)])
    s = b.series("BTCUSDT", "1m")
    out = talib.RSI(s.close, 14)
    assert out.shape == (39,) and not math.isnan(out[-1])


def test_help_does_not_import_numpy_talipp_pyarrow_or_duckdb() -> None:
    import json
    import subprocess
    import sys

    code = (
        "import sys, json\n"
        "sys.argv = ['letrade', '--help']\n"
        "import letrade_cli.trading.bars\n"
        "from letrade_cli.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    modules = json.loads(done.stderr.strip().splitlines()[-1])
    heavy = ("numpy", "talipp", "talib", "pyarrow", "duckdb")
    assert [m for m in modules if m.split(".")[0] in heavy] == []


tick_streams = st.lists(
    st.tuples(
        st.integers(0, 3_000),  # ms step
        st.floats(1.0, 1_000.0),
        st.floats(0.0, 10.0),
        st.sampled_from(["trade", "aggTrade", "bookTicker"]),
        st.sampled_from(["A", "B"]),
    ),
    max_size=300,
)


def build(stream: list[tuple[int, float, float, str, str]]) -> list[Tick]:
    ticks, ms = [], 0
    for step, price, size, channel, sym in stream:
        ms += step
        if channel == "bookTicker":
            ticks.append(Tick("sim", sym, channel, price, price, None, size, 0, ms * 1_000_000))
        else:
            ticks.append(Tick("sim", sym, channel, None, None, price, size, ms, ms * 1_000_000))
    return ticks


@settings(max_examples=150, deadline=None)
@given(tick_streams)
def test_property_bars_consistent(stream: list[tuple[int, float, float, str, str]]) -> None:
    ticks = build(stream)
    b = BarBuilder(["1s", "5s"])
    bars = feed(b, ticks)
    if ticks:
        bars += b.on_tick(Tick("sim", "Z", "trade", None, None, 1.0, 0.0, 0, 10**18))  # flush
    for bar in bars:
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
        assert bar.close_ms - bar.open_ms == parse_timeframe(bar.timeframe)
    for sym in ("A", "B"):
        traded = sum(
            t.size or 0.0 for t in ticks if t.symbol == sym and t.channel in ("trade", "aggTrade")
        )
        for tf in ("1s", "5s"):
            got = [x for x in bars if x.symbol == sym and x.timeframe == tf]
            assert sum(x.volume for x in got) == pytest.approx(traded)
            assert sum(x.trades for x in got) == sum(
                1 for t in ticks if t.symbol == sym and t.channel != "bookTicker"
            )
            assert all(a.close_ms <= c.open_ms for a, c in itertools.pairwise(got))


def run_recording(ticks: list[Tick]) -> tuple[list[tuple[int, Bar]], dict[Bar, list[Bar]]]:
    """(tick time when each bar was delivered, bar) and what the series showed at that moment."""
    b = BarBuilder(["1s", "5s"], history=1_000)
    delivered: list[tuple[int, Bar]] = []
    visible: dict[Bar, list[Bar]] = {}
    flush = Tick("sim", "Z", "trade", None, None, 1.0, 0.0, 0, 10**18)  # closes every bar
    for t in [*ticks, flush]:
        for bar in b.on_tick(t):
            delivered.append((t.recv_ns // 1_000_000, bar))
            visible[bar] = list(b.series(bar.symbol, bar.timeframe))
    return delivered, visible


@settings(max_examples=100, deadline=None)
@given(tick_streams, st.integers(0, 200_000), st.floats(-50.0, 50.0), st.integers(0, 5))
def test_no_look_ahead(
    stream: list[tuple[int, float, float, str, str]], cut_ms: int, shift: float, drop: int
) -> None:
    ticks = build(stream)
    delivered, visible = run_recording(ticks)
    for at_ms, bar in delivered:
        assert at_ms >= bar.close_ms  # never before a tick at/after its close was seen
        if bar.symbol == "Z":
            continue
        assert visible[bar][-1] == bar  # what a strategy sees then ends with this bar
        assert all(x.close_ms <= at_ms for x in visible[bar])
    # change the future: every tick at or after cut_ms gets another price and size, some vanish
    future = [
        Tick(
            t.venue,
            t.symbol,
            t.channel,
            None if t.bid is None else t.bid + shift + 100,
            None if t.ask is None else t.ask + shift + 100,
            None if t.last is None else t.last + shift + 100,
            (t.size or 0.0) * 2 + 1,
            t.event_time_ms,
            t.recv_ns,
        )
        if t.recv_ns // 1_000_000 >= cut_ms
        else t
        for t in ticks
    ]
    future = [t for i, t in enumerate(future) if t.recv_ns // 1_000_000 < cut_ms or i % 6 != drop]
    delivered2, visible2 = run_recording(future)
    before = [(at, bar) for at, bar in delivered if bar.close_ms <= cut_ms and bar.symbol != "Z"]
    before2 = [(at, b) for at, b in delivered2 if b.close_ms <= cut_ms and b.symbol != "Z"]
    # every bar closed by cut_ms is the same bar, and the series showed the same history then
    assert [bar for _, bar in before] == [bar for _, bar in before2]
    for _, bar in before:
        assert visible[bar] == visible2[bar]


def test_candles_feed_only_multiples_and_late_is_dropped() -> None:
    b = BarBuilder(["1m", "3m"])
    five = Tick("sim", "X", "kline_5m", None, None, 2.0, 1.0, 300_000, 300_000 * 10**6, 0)
    assert b.on_tick(five) == []  # 1m and 3m are not multiples of 5m: nothing built
    assert len(b.series("X", "1m")) == 0
    with pytest.raises(UsageError):
        b.series("X", "7m")
    b2 = BarBuilder(["1m"])
    feed(b2, [trade(1_000, 5.0), trade(61_000, 6.0), trade(121_000, 7.0)])
    late = Tick("sim", "BTCUSDT", "kline_1m", None, None, 1.0, 1.0, MIN, MIN * 10**6, 0)
    assert b2.on_tick(late) == [] and b2.late == 1  # its bar was delivered already
    assert [x.close for x in b2.series("BTCUSDT", "1m")] == [5.0, 6.0]
