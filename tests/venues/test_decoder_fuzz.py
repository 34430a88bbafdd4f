"""Decoder fuzzing: recorded Binance and Upbit frames, mangled, through both paths and the pipeline.

The promise a stream makes: any bytes in, a Tick or a counted decode error out, never an
exception; and Binance's fast path (msgspec, routed on a byte) agrees with its slow path
(orjson + dict lookups) on every frame, valid or not. Upbit has one path (orjson), fuzzed alike.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from letrade_cli.connector.pipeline import IngestPipeline
from letrade_cli.core.tick import Tick
from letrade_cli.venues.binance import BinanceDecoder, BinanceDialect
from letrade_cli.venues.upbit import UpbitDialect
from tests.venues.recorded import frames
from tests.venues.test_binance_fast_path import assert_same
from tests.venues.test_dialect_properties import json_values

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _as_bytes(frame: bytes | str) -> bytes:
    return frame.encode("utf-8", "surrogatepass") if isinstance(frame, str) else frame


BINANCE = [_as_bytes(f) for f in frames("binance.ws.txt")]
UPBIT = [_as_bytes(f) for f in frames("upbit.ws.txt")]


def _replace_value(frame: bytes, pick: int, value: Any) -> bytes:
    """Swap one field's value (at any depth) for an arbitrary JSON value."""
    try:
        doc = json.loads(frame)
    except ValueError:
        return frame
    slots: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                slots.append((node, key))
                walk(child)
        elif isinstance(node, list):
            for i, child in enumerate(node):
                slots.append((node, i))
                walk(child)

    walk(doc)
    if not slots:
        return frame
    parent, key = slots[pick % len(slots)]
    parent[key] = value
    return json.dumps(doc, separators=(",", ":")).encode()


@st.composite
def mangled(draw: st.DrawFn, pool: list[bytes]) -> bytes:
    frame = draw(st.sampled_from(pool))
    op = draw(st.sampled_from(["flip", "cut", "insert", "delete", "value", "none"]))
    at = draw(st.integers(0, max(0, len(frame) - 1)))
    if op == "flip" and frame:
        return frame[:at] + bytes([frame[at] ^ draw(st.integers(1, 255))]) + frame[at + 1 :]
    if op == "cut":
        return frame[:at]
    if op == "insert":
        return frame[:at] + draw(st.binary(min_size=1, max_size=8)) + frame[at:]
    if op == "delete":
        return frame[:at] + frame[at + draw(st.integers(1, 16)) :]
    if op == "value":
        return _replace_value(frame, draw(st.integers(0, 1000)), draw(json_values))
    return frame


def _pipeline_takes_every_frame(dialect: Any, venue: str, batch: list[bytes]) -> None:
    pipeline = IngestPipeline.for_venue(dialect, venue)
    published: list[Tick] = []
    pipeline.bus.subscribe(published.append)
    for recv_ns, frame in enumerate(batch, start=1):
        pipeline.on_frame(frame, recv_ns)  # never raises
    stats = pipeline.stats
    assert stats.frames == len(batch)
    assert len(
        published
    ) + stats.control_frames + stats.decode_errors + stats.exchange_errors == len(batch)
    assert all(isinstance(t, Tick) and t.venue == venue for t in published)


@FUZZ
@given(st.lists(mangled(BINANCE), min_size=1, max_size=20))
def test_binance_pipeline_counts_every_mangled_frame(batch: list[bytes]) -> None:
    _pipeline_takes_every_frame(BinanceDialect(), "binance", batch)


@FUZZ
@given(st.lists(mangled(UPBIT), min_size=1, max_size=20))
def test_upbit_pipeline_counts_every_mangled_frame(batch: list[bytes]) -> None:
    _pipeline_takes_every_frame(UpbitDialect(), "upbit", batch)


@FUZZ
@given(mangled(BINANCE), st.booleans())
def test_binance_fast_and_slow_paths_agree_on_mangled_recordings(frame: bytes, text: bool) -> None:
    if text:
        try:
            assert_same(frame.decode())
        except UnicodeDecodeError:
            assert_same(frame)
    else:
        assert_same(frame)


def test_binance_fast_and_slow_paths_agree_on_every_recorded_frame() -> None:
    decoder = BinanceDecoder()
    ticks = 0
    for frame in BINANCE:
        assert_same(frame)
        ticks += decoder.decode(frame, 1) is not None
    assert ticks > 0


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_through_both_pipelines(frame: bytes) -> None:
    _pipeline_takes_every_frame(BinanceDialect(), "binance", [frame])
    _pipeline_takes_every_frame(UpbitDialect(), "upbit", [frame])
