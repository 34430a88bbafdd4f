"""24 h dry-run replay at --speed max: ticks per second through the whole dry-run path.

Generates two 24 h inputs (nothing large is shipped; the generator is
``letrade_cli.trading.synthetic``):

* data-collector JSON Lines: 1-minute candles for 3 markets (4,320 ticks);
* a recorded frame file: Binance combined-stream bookTicker, 2 symbols, 1 frame/s each
  (172,800 frames), decoded by the real Binance decoder.

Each is replayed by ``letrade dryrun --hours 24 --replay ... --speed max --json`` in a
subprocess (decode -> Tick -> cache -> bus -> strategy -> risk -> OrderManager(PaperBroker) ->
SQLite ledger) and the run's own summary gives ticks, wall time and ticks/s.

Usage: .venv/bin/python benchmarks/dryrun_replay.py [--per-second N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from letrade_cli.trading.synthetic import write_collector_candles
from letrade_cli.venues.binance.synthetic import write_recorded_book_tickers


def replay(source: Path, db: Path, strategy: str) -> dict[str, float]:
    """Run one 24 h replay; return its figures."""
    command = [
        sys.executable, "-c", "from letrade_cli.cli.app import main; main()", "dryrun",
        "--hours", "24", "--replay", str(source), "--speed", "max", "--db", str(db),
        "--strategy", strategy, "--json",
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    summary = json.loads(done.stdout.splitlines()[-1])
    return {
        "ticks": summary["ticks"],
        "frames": summary["source"]["messages"],
        "engine_ticks_per_s": summary["ticks_per_s"],
        "process_wall_s": round(wall, 2),
        "ticks_per_s_incl_startup": round(summary["ticks"] / wall, 1),
        "fills": len([e for e in done.stdout.splitlines() if '"event":"fill"' in e]),
        "cache_hit_rate": summary["cache"]["hit_rate"],
        "max_rss_mb_so_far": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
    }


def main() -> None:
    """Generate the inputs, replay them, print one JSON line per input."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-second", type=int, default=1, help="bookTicker frames/s/symbol")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_collector_candles(root / "candles", markets=["BTCUSDT", "ETHUSDT", "SOLUSDT"])
        frames = write_recorded_book_tickers(root / "book.txt", per_second=args.per_second)
        inputs = [
            ("collector 1m candles x3", root / "candles"),
            (f"recorded bookTicker x2 ({frames} frames)", root / "book.txt"),
        ]
        for name, source in inputs:
            figures = replay(source, root / "ledger.sqlite3", "sma-cross")
            print(json.dumps({"input": name, **figures}), flush=True)


if __name__ == "__main__":
    main()
