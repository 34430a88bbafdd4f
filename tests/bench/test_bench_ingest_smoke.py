"""Smoke test of the ingest benchmark: tiny sizes, checks shapes only, never timings."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import orjson

from letrade_cli.bench.ingest.frames import build_stream, close_frame
from letrade_cli.bench.ingest.run import ALL_CLIENTS
from letrade_cli.bench.ingest.server import accept_key

REPO = Path(__file__).resolve().parents[2]
RUN_KEYS = {
    "client",
    "kind",
    "messages_expected",
    "messages",
    "complete",
    "wall_s",
    "msg_per_s",
    "cpu_s",
    "cpu_util",
    "rss_start_kb",
    "rss_end_kb",
    "peak_rss_kb",
    "loop",
    "backend",
    "latency_ns",
    "extra",
    "error",
    "skipped",
    "round",
}
CLIENT_KEYS = {
    "client",
    "kind",
    "skipped",
    "complete_runs",
    "runs_total",
    "msg_per_s",
    "msg_per_s_min",
    "msg_per_s_max",
    "vs_websockets_json",
    "vs_fastest_bare",
    "fastest_bare_client",
    "peak_rss_kb_max",
    "median",
    "runs",
}


def _frames(data: bytes) -> list[bytes]:
    out, offset = [], 0
    while offset < len(data):
        assert data[offset] == 0x81  # FIN + text, unmasked
        size, offset = data[offset + 1], offset + 2
        if size == 126:
            (size,) = struct.unpack_from("!H", data, offset)
            offset += 2
        out.append(data[offset : offset + size])
        offset += size
    return out


def test_stream_is_binance_combined_frames_with_rising_sequences() -> None:
    stream = build_stream(3_000, 20, seed=7)
    payloads = [orjson.loads(p) for p in _frames(stream.data)]
    assert len(payloads) == stream.messages == stream.book_ticker + stream.trades
    assert 0 < stream.trades < stream.book_ticker
    last_u: dict[str, int] = {}
    last_t: dict[str, int] = {}
    for msg in payloads:
        data = msg["data"]
        symbol = data["s"]
        assert msg["stream"] in (f"{symbol.lower()}@bookTicker", f"{symbol.lower()}@trade")
        if msg["stream"].endswith("@bookTicker"):
            assert data["u"] > last_u.get(symbol, 0)
            assert float(data["b"]) < float(data["a"])
            last_u[symbol] = data["u"]
        else:
            assert data["e"] == "trade" and data["E"] == data["T"] > 0
            assert symbol not in last_t or data["t"] == last_t[symbol] + 1
            last_t[symbol] = data["t"]
    assert len(last_u) == 20
    assert build_stream(3_000, 20, seed=7).book_ticker == stream.book_ticker  # deterministic
    assert close_frame() == b"\x88\x02\x03\xe8"


def test_handshake_accept_key_matches_rfc6455_example() -> None:
    assert accept_key(b"dGhlIHNhbXBsZSBub25jZQ==") == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_bench_ingest_runs_end_to_end_and_emits_the_json_document(tmp_path: Path) -> None:
    out = tmp_path / "ingest.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "ingest.py"),
            "--messages=2000",
            "--symbols=20",
            "--repeat=1",
            f"--out={out}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert json.loads(out.read_text()) == doc
    assert doc["schema"] == "letrade.bench.ingest/1"
    assert {"nproc", "python", "libraries", "loadavg_start", "loadavg_end"} <= set(doc["machine"])
    assert {"websockets", "picows", "orjson"} <= set(doc["machine"]["libraries"])
    assert doc["config"]["messages"] == 2000 and doc["config"]["symbols"] == 20
    assert doc["server"]["messages"] == 2000
    assert [c["client"] for c in doc["clients"]] == list(ALL_CLIENTS)
    for entry in doc["clients"]:
        assert set(entry) >= CLIENT_KEYS, entry["client"]
        if entry["skipped"]:  # the full path may not be importable in every checkout
            assert entry["client"].startswith("letrade-")
            continue
        assert entry["complete_runs"] == 1, entry["runs"]
        assert set(entry["median"]) >= RUN_KEYS
        assert entry["median"]["messages"] == 2000
        if entry["kind"] == "full":
            assert set(entry["median"]["latency_ns"]) >= {"p50", "p90", "p99", "p99_9", "max"}
            assert entry["median"]["extra"]["decode_errors"] == 0
    baseline = next(c for c in doc["clients"] if c["client"] == "websockets-json")
    assert baseline["vs_websockets_json"] == 1.0
    for target in doc["targets"]:
        assert {"client", "target", "value", "op", "threshold", "met"} <= set(target)
    assert "ingest:" in proc.stderr  # the table went to stderr


def test_root_help_does_not_import_websocket_libraries() -> None:
    code = (
        "import sys\n"
        "from letrade_cli.cli.app import app\n"
        "heavy = {'websockets', 'picows', 'aiohttp', 'orjson'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)
