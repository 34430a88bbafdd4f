"""Replay recorded real frames through the real decoders; check every field against the JSON."""

from __future__ import annotations

import json
from collections import Counter

from letrade_cli.venues.binance import BinanceDecoder
from letrade_cli.venues.upbit import UpbitDecoder
from tests.venues.recorded import read_recording

RECV_NS = 1_700_000_000_123_456_789


def test_recordings_parse() -> None:
    binance = read_recording("binance.ws.txt")
    assert binance[0].kind == "open" and binance[0].url.startswith("wss://stream.binance.com")
    upbit = read_recording("upbit.ws.txt")
    assert [r.kind for r in upbit[:2]] == ["open", "sent"]
    assert all(isinstance(r.payload, bytes) for r in upbit[2:])


def test_binance_replay_every_field(binance_frames: list[bytes | str]) -> None:
    decoder = BinanceDecoder("binance")
    seen: Counter[str] = Counter()
    for frame in binance_frames:
        raw = json.loads(frame)
        stream, data = raw["stream"], raw["data"]
        tick = decoder.decode(frame, RECV_NS)
        suffix = stream.split("@", 1)[1]
        seen[suffix] += 1
        if suffix.startswith("depth"):
            assert tick is None
            continue
        assert tick is not None
        assert (tick.venue, tick.symbol, tick.recv_ns) == ("binance", data["s"], RECV_NS)
        assert tick.symbol.lower() == stream.split("@")[0]
        if suffix == "bookTicker":
            assert tick.channel == "bookTicker"
            assert (tick.bid, tick.ask, tick.last) == (float(data["b"]), float(data["a"]), None)
            assert tick.size == float(data["B"])
            assert tick.event_time_ms == data.get("E", 0) == 0  # spot bookTicker: no E
            assert tick.seq == data["u"]
        elif suffix == "aggTrade":
            assert tick.channel == "aggTrade"
            assert (tick.bid, tick.ask) == (None, None)
            assert (tick.last, tick.size) == (float(data["p"]), float(data["q"]))
            assert (tick.event_time_ms, tick.seq) == (data["E"], data["a"])
        elif suffix == "kline_1m":
            assert tick.channel == "kline_1m"
            assert (tick.bid, tick.ask, tick.size) == (None, None, None)
            assert tick.last == float(data["k"]["c"])
            k = data["k"]
            # seq: the candle's index (its open time over its interval), as for replayed candles
            assert (tick.event_time_ms, tick.seq) == (data["E"], k["t"] // 60_000)
            assert (tick.open, tick.high, tick.low) == (float(k["o"]), float(k["h"]), float(k["l"]))
        else:  # pragma: no cover - the recording holds only the four streams above
            raise AssertionError(stream)
    assert seen == {"depth@100ms": 4, "bookTicker": 30, "aggTrade": 2, "kline_1m": 2}


def test_binance_raw_payload_same_as_combined(binance_frames: list[bytes | str]) -> None:
    decoder = BinanceDecoder("sim")
    for frame in binance_frames:
        data = json.dumps(json.loads(frame)["data"])
        assert decoder.decode(data, 1) == decoder.decode(frame, 1)


def test_upbit_replay_every_field(upbit_frames: list[bytes | str]) -> None:
    decoder = UpbitDecoder("upbit")
    seen: Counter[str] = Counter()
    for frame in upbit_frames:
        assert isinstance(frame, bytes)
        raw = json.loads(frame)
        tick = decoder.decode(frame, RECV_NS)
        assert tick is not None
        seen[raw["ty"]] += 1
        assert (tick.venue, tick.symbol, tick.recv_ns) == ("upbit", raw["cd"], RECV_NS)
        assert tick.event_time_ms == raw["tms"]
        if raw["ty"] == "trade":
            assert tick.channel == "trade"
            assert (tick.bid, tick.ask) == (None, None)
            assert (tick.last, tick.size, tick.seq) == (raw["tp"], raw["tv"], raw["sid"])
        else:
            top = raw["obu"][0]
            assert tick.channel == "orderbook"
            assert (tick.bid, tick.ask, tick.size) == (top["bp"], top["ap"], top["bs"])
            assert (tick.last, tick.seq) == (None, -1)
            assert tick.bid is not None and tick.ask is not None and tick.bid < tick.ask
    assert seen == {"trade": 24, "orderbook": 16}


def test_upbit_str_frames_and_default_format(upbit_frames: list[bytes | str]) -> None:
    """The same frames as text, and rewritten with DEFAULT field names, decode identically."""
    names = {
        "ty": "type",
        "cd": "code",
        "tms": "timestamp",
        "tp": "trade_price",
        "tv": "trade_volume",
        "sid": "sequential_id",
        "ttms": "trade_timestamp",
        "st": "stream_type",
        "obu": "orderbook_units",
        "ap": "ask_price",
        "bp": "bid_price",
        "as": "ask_size",
        "bs": "bid_size",
    }

    def spell_out(value: object) -> object:
        if isinstance(value, dict):
            return {names.get(k, k): spell_out(v) for k, v in value.items()}
        if isinstance(value, list):
            return [spell_out(v) for v in value]
        return value

    decoder = UpbitDecoder("upbit")
    for frame in upbit_frames:
        assert isinstance(frame, bytes)
        expected = decoder.decode(frame, 5)
        assert decoder.decode(frame.decode(), 5) == expected
        assert decoder.decode(json.dumps(spell_out(json.loads(frame))).encode(), 5) == expected
