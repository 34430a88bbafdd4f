"""``letrade bench replay``: full-speed paper replays of the Parquet store, end to end.

Writes two synthetic inputs into a fresh store (``letrade_cli.data.synthetic``): bookTicker
quotes for two symbols (default 1,000,000 rows) and one year of 1-minute candles for one symbol
(525,600 rows). Each is replayed by ``letrade dryrun --data STORE --speed max`` in a fresh
process (store read -> Tick -> cache -> bus -> strategy -> risk -> paper fills -> SQLite
ledger), with no risk throttle so every signal trades. Per run: the engine's ticks/s (the run's
own summary), the process's wall time (start-up and load included), its peak RSS (from
``wait4``), the ledger's size and the fills. The figures are the median run.

Peers are not rerun here (they are not dependencies); the document quotes the figures issue 18
measured on this machine, with their engine versions, beside ours.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from letrade_cli.bench.common import (
    Metric,
    Progress,
    child_env,
    finish_document,
    median,
    metric,
    new_document,
)

if TYPE_CHECKING:
    from rich.console import Console

STRATEGY = "sma-cross"
QUOTE_SYMBOLS = ["BTCUSDT", "ETHUSDT"]
BAR_SYMBOL = "BTCUSDT"
QUOTE_STEP_MS = 100
RUN_TIMEOUT_S = 1800.0
PROFILE = (
    "venue: sim\n"
    "trading:\n"
    "  risk: {order_notional: 100, max_position_notional: 0, max_total_notional: 0,\n"
    "         max_daily_loss: 0, cooldown_s: 0}\n"
)
# Measured for issue 18 on this 2-core machine (median of 3, same data sizes, an equivalent
# SMA cross; about 39,000 fills on ticks and 20,300 on bars in each engine). Not rerun here.
PEERS: list[dict[str, Any]] = [
    {"engine": "nautilus_trader 1.221 BacktestEngine", "input": "quotes", "per_s": 21_030,
     "peak_rss_mb": 903},
    {"engine": "nautilus_trader 1.221 BacktestEngine", "input": "bars", "per_s": 16_064,
     "peak_rss_mb": 741},
    {"engine": "backtrader 1.9.78", "input": "bars", "per_s": 9_768, "peak_rss_mb": 437},
    {"engine": "backtesting.py 0.6 (vectorised)", "input": "bars", "per_s": 142_439,
     "peak_rss_mb": 348},
    {"engine": "letrade dryrun --replay (frames, before the store)", "input": "quotes",
     "per_s": 67_659, "peak_rss_mb": 48},
    {"engine": "letrade dryrun --replay (collector bars, before the store)", "input": "bars",
     "per_s": 12_108, "peak_rss_mb": 48},
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReplayBenchConfig:
    """Input sizes, runs per input, and where to keep the store (a temporary folder if None)."""

    quotes: int = 1_000_000
    bars: int = 525_600
    runs: int = 3
    keep_dir: Path | None = None

    def validate(self) -> None:
        """ValueError for sizes a replay cannot use."""
        if self.quotes < len(QUOTE_SYMBOLS) * 100 or self.bars < 100:
            raise ValueError("--quotes needs at least 200 rows and --bars at least 100")
        if self.runs < 1:
            raise ValueError("--runs must be at least 1")


def _write_inputs(store: Path, config: ReplayBenchConfig) -> None:
    from letrade_cli.data.synthetic import write_candles, write_quotes

    write_quotes(store, QUOTE_SYMBOLS, config.quotes // len(QUOTE_SYMBOLS), step_ms=QUOTE_STEP_MS)
    write_candles(store, [BAR_SYMBOL], config.bars)


def replay_once(store: Path, kind: str, symbols: list[str], folder: Path, n: int) -> dict[str, Any]:
    """One ``dryrun --data`` run in a fresh process; its figures."""
    db = folder / f"{kind}-{n}.sqlite3"
    profile = folder / "bench-replay.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    argv = [
        sys.executable, "-m", "letrade_cli", "dryrun", "--data", str(store), "--kind", kind,
        "--symbols", ",".join(symbols), "--speed", "max", "--strategy", STRATEGY,
        "--db", str(db), "--profile", str(profile), "--json",
    ]  # fmt: skip
    started = time.perf_counter()
    with (
        open(folder / f"{kind}-{n}.out", "wb") as out,
        open(folder / f"{kind}-{n}.err", "wb") as err,
    ):
        proc = subprocess.Popen(
            argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=child_env()
        )
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            raise
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    lines = (folder / f"{kind}-{n}.out").read_bytes().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (folder / f"{kind}-{n}.err").read_text(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"dryrun --data exited {proc.returncode}: {' | '.join(tail)}")
    summary = json.loads(lines[-1])
    fills = sum(1 for line in lines if b'"event":"fill"' in line)
    ledger = sum(p.stat().st_size for p in folder.glob(f"{kind}-{n}.sqlite3*"))
    ticks = int(summary["ticks"])
    return {
        "ticks": ticks,
        "fills": fills,
        "engine_per_s": float(summary["ticks_per_s"]),
        "wall_s": round(wall, 3),
        "per_s_incl_startup": round(ticks / wall, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "ledger_mb": round(ledger / 1e6, 2),
        "ledger_mb_per_million": round(ledger / 1e6 / ticks * 1e6, 2) if ticks else None,
        "pnl": summary.get("pnl"),
    }


def run_replay_benchmark(
    config: ReplayBenchConfig, progress: Progress | None = None
) -> dict[str, Any]:
    """Write the inputs, replay each ``runs`` times; the document (``letrade.bench.replay/1``)."""
    import tempfile

    config.validate()
    say = progress or (lambda _msg: None)
    doc = new_document(
        "replay",
        {
            "quotes": config.quotes,
            "bars": config.bars,
            "runs": config.runs,
            "strategy": STRATEGY,
            "quote_symbols": QUOTE_SYMBOLS,
            "bar_symbol": BAR_SYMBOL,
            "risk": "no throttle: every signal trades (order_notional 100)",
        },
    )
    inputs = {"quotes": ("quotes", QUOTE_SYMBOLS), "bars": ("candles_1m", [BAR_SYMBOL])}
    with contextlib.ExitStack() as stack:
        if config.keep_dir is not None:
            folder = config.keep_dir
            folder.mkdir(parents=True, exist_ok=True)
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="letrade-rpl-")))
        store = folder / "store"
        say(f"replay: writing {config.quotes:,} quotes and {config.bars:,} 1m candles")
        _write_inputs(store, config)
        results: dict[str, Any] = {}
        for name, (kind, symbols) in inputs.items():
            runs = []
            for n in range(config.runs):
                run = replay_once(store, kind, symbols, folder, n)
                say(
                    f"replay {name} run {n + 1}/{config.runs}: {run['engine_per_s']:,.0f}/s, "
                    f"{run['wall_s']:.1f} s, {run['peak_rss_mb']:.0f} MB, {run['fills']:,} fills"
                )
                runs.append(run)
            mid = median([r["engine_per_s"] for r in runs])
            best = min(runs, key=lambda r: abs(r["engine_per_s"] - mid))
            results[name] = {"kind": kind, "symbols": symbols, "median": best, "runs": runs}
    doc["inputs"] = results
    doc["peers"] = PEERS
    doc["verdict"] = verdict(results)
    return finish_document(doc, headline_metrics(doc))


def verdict(results: dict[str, Any]) -> str:
    """One clause per input: rate, wall time, peak RSS, fills."""
    parts = []
    for name, r in results.items():
        m = r["median"]
        parts.append(
            f"{name}: {m['ticks']:,} rows at {m['engine_per_s']:,.0f}/s "
            f"({m['wall_s']:.1f} s with start-up), {m['peak_rss_mb']:.0f} MB peak, "
            f"{m['fills']:,} fills, ledger {m['ledger_mb_per_million']:.1f} MB per 1M rows"
        )
    return "; ".join(parts)


def headline_metrics(doc: dict[str, Any]) -> list[Metric]:
    """Rate, peak RSS and ledger size per input."""
    out: list[Metric] = []
    for name, r in doc["inputs"].items():
        m = r["median"]
        out.append(metric(f"replay.{name}.per_s", m["engine_per_s"], "/s", "higher"))
        out.append(metric(f"replay.{name}.peak_rss_mb", m["peak_rss_mb"], "MB", "lower"))
        if m["ledger_mb_per_million"] is not None:
            per = m["ledger_mb_per_million"]
            out.append(metric(f"replay.{name}.ledger_mb_per_million", per, "MB", "lower"))
    return out


def suite_run(quick: bool, progress: Progress) -> dict[str, Any]:
    """``letrade bench all``'s replay run (``quick``: 50,000 quotes, 20,000 bars, one run)."""
    config = ReplayBenchConfig(quotes=50_000, bars=20_000, runs=1) if quick else ReplayBenchConfig()
    return run_replay_benchmark(config, progress=progress)


def render(doc: dict[str, Any], console: Console) -> None:
    """Our rows (median run) then the peers' quoted rows; verdict."""
    from rich.table import Table

    from letrade_cli.bench.render import _show

    table = Table(title="bench replay: dryrun --data --speed max, sma-cross, no risk throttle")
    for column in ("engine", "input", "rows", "rows/s", "wall s", "peak MB", "fills", "MB/1M"):
        table.add_column(column, justify="left" if column in ("engine", "input") else "right")
    for name, r in doc["inputs"].items():
        m = r["median"]
        table.add_row(
            "letrade dryrun --data",
            name,
            f"{m['ticks']:,}",
            f"{m['engine_per_s']:,.0f}",
            f"{m['wall_s']:.1f}",
            f"{m['peak_rss_mb']:.0f}",
            f"{m['fills']:,}",
            f"{m['ledger_mb_per_million']:.1f}",
        )
    for peer in doc.get("peers", []):
        table.add_row(
            f"{peer['engine']} (issue 18)",
            peer["input"],
            "",
            f"{peer['per_s']:,}",
            "",
            f"{peer['peak_rss_mb']}",
            "",
            "",
            style="dim",
        )
    _show([table], doc, console)


def figures(doc: dict[str, Any]) -> list[Any]:
    """Rows per second per engine, one chart per input."""
    from letrade_cli.bench.html import _bars

    figs = []
    for name, r in doc["inputs"].items():
        labels = ["letrade dryrun --data"]
        values = [float(r["median"]["engine_per_s"])]
        for peer in doc.get("peers", []):
            if peer["input"] == name:
                labels.append(peer["engine"])
                values.append(float(peer["per_s"]))
        figs.append(_bars(f"replay {name}: rows per second", "rows/s", labels, values))
    return figs
