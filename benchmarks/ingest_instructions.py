"""CPU instructions per message on the ingest path, counted by valgrind (callgrind).

Wall-clock figures on a shared 2-core box move by 30 % from run to run; instruction counts do
not (the same total twice, whatever the other core is doing). This runs the ingest benchmark's
own frames (``bench.ingest.frames``, 200 symbols, 30 % trades) through each stage in a fresh
interpreter under callgrind, subtracts a run that only loops over the frames, and divides by
the number of frames::

    .venv/bin/python benchmarks/ingest_instructions.py            # 20,000 frames, ~1 minute
    .venv/bin/python benchmarks/ingest_instructions.py -n 5000    # quicker, a little noisier

Stages: ``orjson`` (what the bare picows+orjson client does per frame), ``msgspec`` (the typed
decode alone), ``decode`` (BinanceDecoder.decode: routing + typed decode + Tick), ``pipeline``
(IngestPipeline.on_frame: decode, cache, stats, gap and stall accounting, bus, one subscriber).
The transport is not in these figures (it is the same picows callback for every client).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

STAGES = ("loop", "orjson", "msgspec", "decode", "pipeline")


def split_frames(data: bytes) -> list[bytes]:
    """The payloads of a stream of unmasked server frames."""
    frames, i = [], 0
    while i < len(data):
        size = data[i + 1] & 0x7F
        head = 2
        if size == 126:
            size, head = int.from_bytes(data[i + 2 : i + 4], "big"), 4
        frames.append(data[i + head : i + head + size])
        i += head + size
    return frames


def run_stage(stage: str, messages: int) -> None:
    """Feed every frame to ``stage`` once (what callgrind counts)."""
    import orjson

    from letrade_cli.bench.ingest.frames import build_stream
    from letrade_cli.connector.pipeline import IngestPipeline
    from letrade_cli.core.tick import Tick
    from letrade_cli.venues.binance import BinanceDialect
    from letrade_cli.venues.binance.fast import (
        decode_combined_book_ticker,
        decode_combined_trade,
    )

    frames = split_frames(build_stream(messages, 200).data)
    pipeline = IngestPipeline.for_venue(BinanceDialect(), "binance")
    received = 0

    def consumer(tick: Tick) -> None:
        nonlocal received
        received += 1

    pipeline.bus.subscribe(consumer)

    def typed(frame: bytes, recv_ns: int) -> None:
        if frame[-3] == 0x22:  # bookTicker ends with a quote, trades with true/false
            decode_combined_book_ticker(frame)
        else:
            decode_combined_trade(frame)

    loads = orjson.loads
    handlers: dict[str, Callable[[bytes, int], object]] = {
        "loop": lambda frame, recv_ns: None,
        "orjson": lambda frame, recv_ns: loads(frame),
        "msgspec": typed,
        "decode": pipeline.decoder.decode,
        "pipeline": pipeline.on_frame,
    }
    handler = handlers[stage]
    now = time.time_ns()
    for frame in frames:
        handler(frame, now)


def count(stage: str, messages: int) -> int:
    """Instructions callgrind counts for a whole run of ``stage``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--stage",
                stage,
                "-n",
                str(messages),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    match = re.search(r"Collected : (\d+)", done.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count from valgrind: {done.stderr[-500:]}")
    return int(match.group(1))


def main() -> int:
    """Count every stage and print instructions per message beyond the bare loop."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--messages", type=int, default=20_000)
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        run_stage(args.stage, args.messages)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    base = count("loop", args.messages)
    print(f"instructions per message, {args.messages:,} frames, 200 symbols (callgrind)")
    for stage in STAGES[1:]:
        per_message = (count(stage, args.messages) - base) / args.messages
        print(f"  {stage:<9} {per_message:>9,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
