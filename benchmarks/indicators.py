"""Indicator libraries, measured per closed bar: talipp (incremental) vs TA-Lib (vectorised).

(a) streaming: RSI(14), EMA(20), BollingerBands(20, 2) and ATR(14) updated with each new bar,
    over N bars (talipp: ``add`` on each indicator; TA-Lib: the same four functions recomputed
    over the last ``WINDOW`` bars, its only way to "stream").
(b) vectorised: the four recomputed over a WINDOW-bar numpy window per bar (TA-Lib on arrays;
    talipp building fresh indicators from the window's lists).

Per-bar microseconds, p50 and p99. Usage:
    python benchmarks/indicators.py [--bars 100000] [--window 500] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import talib
import talipp
from talipp.indicators import ATR, BB, EMA, RSI
from talipp.ohlcv import OHLCV


def make_bars(n: int, seed: int = 7) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    spread = np.abs(rng.normal(0, 0.0008, n)) * close
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread
    volume = rng.uniform(1, 10, n)
    return open_, high, low, close, volume


def pct(samples_ns: list[int]) -> dict[str, float]:
    a = np.asarray(samples_ns, dtype=np.float64) / 1000.0
    return {
        "p50_us": round(float(np.percentile(a, 50)), 2),
        "p99_us": round(float(np.percentile(a, 99)), 2),
        "mean_us": round(float(a.mean()), 2),
        "samples": len(a),
    }


def talipp_streaming(o, h, l, c, v) -> list[int]:  # noqa: E741
    rsi, ema, bb, atr = RSI(14), EMA(20), BB(20, 2), ATR(14)
    out = []
    clock = time.perf_counter_ns
    for i in range(len(c)):
        bar = OHLCV(float(o[i]), float(h[i]), float(l[i]), float(c[i]), float(v[i]))
        x = float(c[i])
        t0 = clock()
        rsi.add(x)
        ema.add(x)
        bb.add(x)
        atr.add(bar)
        out.append(clock() - t0)
    assert rsi[-1] is not None and atr[-1] is not None
    return out


def talib_window(o, h, l, c, v, window: int, start: int, bars: int) -> list[int]:  # noqa: E741
    out = []
    clock = time.perf_counter_ns
    for i in range(start, start + bars):
        lo = max(0, i + 1 - window)
        hw, lw, cw = h[lo : i + 1], l[lo : i + 1], c[lo : i + 1]
        t0 = clock()
        talib.RSI(cw, 14)
        talib.EMA(cw, 20)
        talib.BBANDS(cw, 20, 2.0, 2.0)
        talib.ATR(hw, lw, cw, 14)
        out.append(clock() - t0)
    return out


def talipp_window(o, h, l, c, v, window: int, start: int, bars: int) -> list[int]:  # noqa: E741
    out = []
    clock = time.perf_counter_ns
    for i in range(start, start + bars):
        lo = max(0, i + 1 - window)
        cw = c[lo : i + 1].tolist()
        ohlcv = [
            OHLCV(a, b, d, e, f)
            for a, b, d, e, f in zip(
                o[lo : i + 1].tolist(),
                h[lo : i + 1].tolist(),
                l[lo : i + 1].tolist(),
                cw,
                v[lo : i + 1].tolist(),
                strict=True,
            )
        ]
        t0 = clock()
        RSI(14, input_values=cw)
        EMA(20, input_values=cw)
        BB(20, 2, input_values=cw)
        ATR(14, input_values=ohlcv)
        out.append(clock() - t0)
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--bars", type=int, default=100_000)
    p.add_argument("--window", type=int, default=500)
    p.add_argument("--window-bars", type=int, default=5_000, help="bars timed in (b)")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    o, h, l, c, v = make_bars(args.bars)  # noqa: E741
    start = args.window  # windows are full from here on
    result = {
        "command": "python " + " ".join(sys.argv),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
            "numpy": np.__version__,
        },
        "libraries": {
            "talipp": talipp.__version__ if hasattr(talipp, "__version__") else "2.7.0",
            "TA-Lib": talib.__version__,
        },
        "indicators": "RSI(14), EMA(20), BollingerBands(20, 2), ATR(14): all four per bar",
        "bars": args.bars,
        "window": args.window,
        "streaming": {
            "talipp_incremental_add": pct(talipp_streaming(o, h, l, c, v)),
            "talib_recompute_window": pct(
                talib_window(o, h, l, c, v, args.window, start, args.bars - start)
            ),
        },
        "vectorised_window": {
            "talib_numpy_window": pct(
                talib_window(o, h, l, c, v, args.window, start, args.window_bars)
            ),
            "talipp_rebuild_window": pct(
                talipp_window(o, h, l, c, v, args.window, start, args.window_bars)
            ),
        },
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
