"""`letrade stream --record DIR`: the live ticks land in the store, a crash loses ~1 s at most."""

from __future__ import annotations

import errno
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from letrade_cli.core.tick import Tick
from letrade_cli.data.record import RecordError, StoreRecorder, is_store_path, recover
from letrade_cli.data.store import Store

LETRADE = [sys.executable, "-m", "letrade_cli"]
ENV = {**os.environ, "NO_COLOR": "1"}
KINDS = {"bookTicker": "quotes", "trade": "trades"}


def stored_rows(store: Store) -> dict[tuple[str, str], list[tuple[object, ...]]]:
    """(kind, symbol) -> rows in store order, as (id, price fields as str)."""
    out: dict[tuple[str, str], list[tuple[object, ...]]] = {}
    for kind in ("quotes", "trades"):
        data = store.read("sim", kind).to_pylist()
        for row in data:
            if kind == "quotes":
                item = (row["update_id"], str(row["bid"]), str(row["ask"]), str(row["bid_size"]))
            else:
                item = (row["trade_id"], str(row["price"]), str(row["size"]))
            out.setdefault((kind, row["symbol"]), []).append(item)
    return out


def tick_row(tick: dict[str, object]) -> tuple[object, ...]:
    from decimal import Decimal

    def dec(value: object) -> str:
        return str(Decimal(repr(value)).quantize(Decimal("1e-18")))

    if tick["channel"] == "bookTicker":
        return (tick["seq"], dec(tick["bid"]), dec(tick["ask"]), dec(tick["size"]))
    return (tick["seq"], dec(tick["last"]), dec(tick["size"]))


def by_key(ticks: list[dict[str, object]]) -> dict[tuple[str, str], list[tuple[object, ...]]]:
    out: dict[tuple[str, str], list[tuple[object, ...]]] = {}
    for tick in ticks:
        kind = KINDS.get(str(tick["channel"]))
        if kind is not None:
            out.setdefault((kind, str(tick["symbol"])), []).append(tick_row(tick))
    return out


def test_the_store_holds_exactly_the_streamed_ticks(tmp_path: Path) -> None:
    root = tmp_path / "ticks"
    args = ["stream", "BTCUSDT", "ETHUSDT", "--venue", "sim", "--json", "--duration", "3"]
    done = subprocess.run(
        [*LETRADE, *args, "--record", f"{root}/"],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    ticks = [json.loads(line) for line in done.stdout.splitlines()]
    expected = by_key(ticks)
    assert sum(map(len, expected.values())) >= 50
    store = Store(root)
    assert stored_rows(store) == expected  # count, exact prices and order
    held = {(h.kind, h.symbol): h.rows for h in store.holdings()}
    assert held == {key: len(rows) for key, rows in expected.items()}
    assert not list((root / ".staging").rglob("*.arrows"))  # all rolled into Parquet
    summary = json.loads(done.stderr.strip().splitlines()[-1])
    assert summary["record"]["rows"] == sum(held.values())


def test_a_killed_recorder_loses_at_most_the_last_second(tmp_path: Path) -> None:
    root = tmp_path / "ticks"
    proc = subprocess.Popen(
        [*LETRADE, "stream", "BTCUSDT", "--venue", "sim", "--json", "--record", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=ENV,
    )
    assert proc.stdout is not None
    ticks: list[dict[str, object]] = []
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    give_up = time.monotonic() + 30
    try:
        # Stream until 3 s of ticks were printed (the recorder flushed a few times).
        while time.monotonic() < give_up:
            if not selector.select(timeout=max(0.0, give_up - time.monotonic())):
                break
            line = proc.stdout.readline()
            if not line:
                break
            ticks.append(json.loads(line))
            if int(ticks[-1]["recv_ns"]) - int(ticks[0]["recv_ns"]) > 3_000_000_000:  # type: ignore[call-overload]
                break
        kill_ns = time.time_ns()
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
        proc.stdout.close()
    assert ticks, "the stream printed nothing"
    staged = list((root / ".staging").rglob("*.arrows"))
    assert staged, "nothing was staged before the kill"
    assert not Store(root).files()  # nothing rolled yet: only the write-ahead files exist
    recover(Store(root))
    assert not list((root / ".staging").rglob("*.arrows"))
    old = [t for t in ticks if int(t["recv_ns"]) < kill_ns - 1_500_000_000]  # type: ignore[call-overload]
    assert old
    stored = stored_rows(Store(root))
    for key, rows in by_key(old).items():
        assert stored[key][: len(rows)] == rows


def make_ticks(n: int, start_ns: int = 1_796_000_000_000_000_000) -> list[Tick]:
    return [
        # floats as a decoder makes them: from the venue's decimal strings
        Tick(
            "sim",
            "BTCUSDT",
            "trade",
            None,
            None,
            float(f"65000.{i:02d}"),
            0.00012,
            0,
            start_ns + i,
            i,
        )
        for i in range(n)
    ]


def test_a_full_disk_stops_the_recording_keeps_every_tick_and_no_half_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    store = Store(tmp_path / "ticks")
    stopped: list[bool] = []
    recorder = StoreRecorder(store, "sim", on_error=lambda: stopped.append(True))
    recorder.start()
    for tick in make_ticks(100):
        recorder.on_tick(tick)
    recorder.flush()

    def full_disk(data: object, where: object, **kw: object) -> None:
        Path(str(where)).write_bytes(b"PAR1 half a file")
        raise OSError(errno.ENOSPC, "No space left on device", str(where))

    monkeypatch.setattr(pq, "write_table", full_disk)
    with pytest.raises(RecordError) as caught:
        recorder.close()  # the roll into Parquet hits the full disk
    assert caught.value.exit_code == 1
    assert "disk is full" in str(caught.value) and "\n" not in str(caught.value)
    assert stopped == [True]
    assert not [p for p in store.root.rglob("*") if p.is_file() and ".staging" not in p.parts]
    monkeypatch.undo()
    # The next run recovers the staged ticks: nothing recorded was lost.
    recover(store)
    data = store.read("sim", "trades")
    assert data.num_rows == 100
    assert str(data["price"][1].as_py()) == "65000.010000000000000000"
    assert str(data["size"][1].as_py()) == "0.000120000000000000"


def test_the_record_path_rule(tmp_path: Path) -> None:
    (tmp_path / "existing").mkdir()
    assert is_store_path(str(tmp_path / "existing"))
    assert is_store_path(str(tmp_path / "new") + "/")
    assert is_store_path(str(tmp_path / "ticks"))
    assert not is_store_path(str(tmp_path / "run.frames"))


def test_record_to_a_file_writes_frames_that_replay_reads(tmp_path: Path) -> None:
    frames = tmp_path / "run.frames"
    args = ["stream", "BTCUSDT", "--venue", "sim", "--json", "--duration", "2"]
    done = subprocess.run(
        [*LETRADE, *args, "--record", str(frames)],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    lines = frames.read_text().splitlines()
    assert "#venue=sim <-> " in lines[0]
    assert len(lines) - 1 >= len(done.stdout.splitlines()) > 10
