"""The msgspec fast path of BinanceDecoder.decode agrees with the orjson slow path (decode_slow)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from letrade_cli.core.errors import DecodeError
from letrade_cli.venues.binance import BinanceDecoder

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DECODER = BinanceDecoder("sim")


def outcome(fn: Any, frame: Any) -> tuple[str, str]:
    """repr of the Tick (tells -0.0 from 0.0, 1 from 1.0 and "1"), or the error raised."""
    try:
        return ("ok", repr(fn(frame, 7)))
    except Exception as exc:  # compared, not handled
        return (type(exc).__name__, str(exc))


def assert_same(frame: Any) -> None:
    assert outcome(DECODER.decode, frame) == outcome(DECODER.decode_slow, frame)


def fast_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_slow(self: BinanceDecoder, frame: Any, recv_ns: int) -> None:
        raise AssertionError(f"slow path taken for {frame!r}")

    monkeypatch.setattr(BinanceDecoder, "decode_slow", no_slow)


BT = (
    b'{"stream":"btcusdt@bookTicker","data":{"u":400900217,"s":"BTCUSDT","b":"64012.51000000",'
    b'"B":"1.20300000","a":"64012.52000000","A":"0.40100000"}}'
)
TR = (
    b'{"stream":"btcusdt@trade","data":{"e":"trade","E":1718000000123,"s":"BTCUSDT","t":3600001,'
    b'"p":"64012.51000000","q":"0.01200000","T":1718000000123,"m":true,"M":true}}'
)
AGG = (
    b'{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1718000000123,"s":"BTCUSDT",'
    b'"a":26129,"p":"0.01633102","q":"4.70443515","f":27781,"l":27781,"T":1498793709153,'
    b'"m":true,"M":true}}'
)


def raw(frame: bytes) -> bytes:
    return json.dumps(json.loads(frame)["data"], separators=(",", ":")).encode()


@pytest.mark.parametrize("frame", [BT, TR, AGG, raw(BT), raw(TR), raw(AGG)])
def test_hot_frames_take_the_fast_path(frame: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = DECODER.decode_slow(frame, 7)
    fast_only(monkeypatch)
    assert DECODER.decode(frame, 7) == expected
    assert DECODER.decode(frame.decode(), 7) == expected


def test_recorded_hot_frames_take_the_fast_path(
    binance_frames: list[bytes | str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hot = [f for f in binance_frames if "@bookTicker" in str(f) or "@aggTrade" in str(f)]
    assert hot
    expected = [DECODER.decode_slow(f, 7) for f in hot]
    fast_only(monkeypatch)
    assert [DECODER.decode(f, 7) for f in hot] == expected


def test_recorded_frames_same_as_slow_path(binance_frames: list[bytes | str]) -> None:
    for frame in binance_frames:
        assert_same(frame)
        assert_same(frame.encode() if isinstance(frame, str) else frame.decode())


@pytest.mark.parametrize("price", ['"abc"', '""', "null", '"1.5x"', "[]", "{}"])
def test_book_ticker_bad_price_is_decode_error(price: str) -> None:
    frame = BT.replace(b'"b":"64012.51000000"', f'"b":{price}'.encode())
    with pytest.raises(DecodeError):
        DECODER.decode(frame, 1)
    assert_same(frame)


@pytest.mark.parametrize(
    "frame",
    [
        BT.replace(b'"b":"64012.51000000"', b'"b":"-0"'),  # msgspec: 0.0, float(): -0.0
        BT.replace(b'"B":"1.20300000"', b'"B":"-0.0"'),
        TR.replace(b'"q":"0.01200000"', b'"q":"0"'),
        BT.replace(b'"b":"64012.51000000"', b'"b":"1e999"'),  # float(): inf
        BT.replace(b'"b":"64012.51000000"', b'"b":"Infinity"'),
        BT.replace(b'"b":"64012.51000000"', b'"b":"nan"'),
        BT.replace(b'"b":"64012.51000000"', b'"b":64012'),
        BT.replace(b'"b":"64012.51000000"', b'"b":".5"'),
        BT.replace(b'"u":400900217', b'"u":"400900217"'),  # passed through as a string
        BT.replace(b'"u":400900217', b'"u":400900217.0'),
        BT.replace(b'"u":400900217', b'"u":18446744073709551615'),  # > int64
        BT.replace(b'"u":400900217', b'"u":-9223372036854775809'),  # < int64: orjson float
        BT.replace(b'"u":400900217', b'"u":null'),
        BT.replace(b'"u":400900217,', b""),  # missing u
        BT.replace(b'"s":"BTCUSDT",', b""),  # missing s
        BT.replace(b'"s":"BTCUSDT"', b'"s":5'),
        BT.replace(b'"A":"0.40100000"', b'"A":"0.4","E":null'),
        BT.replace(b'"A":"0.40100000"', b'"A":"0.4","E":"12"'),
        BT.replace(b'"A":"0.40100000"', b'"A":"0.4","e":"trade"'),  # content beats stream name
        BT.replace(b'"A":"0.40100000"', b'"A":"0.4","e":"bookTicker","E":5,"T":4'),  # futures
        BT.replace(b'"A":"0.40100000"', b'"A":"\xff"'),  # invalid UTF-8
        BT.replace(b'"btcusdt@bookTicker"', b'"btc\xffusdt@bookTicker"'),
        BT.replace(b'"A":"0.40100000"', b'"A":"0.4","z":1e400'),  # orjson: infinity
        BT.replace(b'"A":"0.40100000"', b'"A":"0.4","z":' + b"[" * 1100 + b"]" * 1100),
        BT.replace(b'"A":"0.40100000"', b'"A":"0.4","z":1'),  # unknown key
        BT.replace(b'"A":"0.40100000"', b'"A":"0.4","u":7'),  # duplicate key: last wins
        BT.replace(b'"BTCUSDT"', b'"\\u0042TCUSDT"'),
        BT.replace(b'"BTCUSDT"', b'"\\ud800"'),
        BT.replace(b'{"stream":"btcusdt@bookTicker",', b'{"stream":"btcusdt@bookTicker","x":1,'),
        BT.replace(b'"data":{', b'"data":null,"d":{'),
        BT[:-1],
        BT + b" ",
        BT + b"x",
        TR.replace(b'"t":3600001', b'"t":"3600001"'),
        TR.replace(b'"t":3600001', b'"a":3600001'),  # trade without t
        TR.replace(b'"T":1718000000123', b'"T":' + b"9" * 400),
        TR.replace(b'"E":1718000000123', b'"E":1718000000123.5'),
        TR.replace(b'"e":"trade"', b'"e":"aggTrade"'),
        TR.replace(b'"m":true', b'"m":"true"'),
        AGG.replace(b'"e":"aggTrade"', b'"e":"trade"'),
        b'{"result":null,"id":1}',
        b'{"error":{"code":2,"msg":"Invalid request"},"id":1}',
        b'{"stream":"x@bookTicker"}',
        b'{"stream":"',
        b'{"s',
        b'{"e":"t',
        b"",
        b"[]",
    ],
)
def test_edge_frames_same_as_slow_path(frame: bytes) -> None:
    assert_same(frame)
    assert_same(raw(frame) if frame in (BT, TR, AGG) else frame)
    try:
        text = frame.decode()
    except UnicodeDecodeError:
        return
    assert_same(text)


def test_text_frames_with_surrogates_same_as_slow_path() -> None:
    assert_same(BT.decode().replace("BTCUSDT", "BTC\ud800"))
    assert_same(bytearray(BT))
    assert_same(memoryview(BT))


# Values as the venue spells them, and the odd ones the fast path must hand to the slow path.
decimal = st.decimals(min_value="-1000000", max_value="1000000", places=8, allow_nan=False)
odd_number = st.sampled_from(
    ["-0", "0", "-0.0", "nan", "NaN", "inf", "-Infinity", "1e999", "1E5", ".5", "5.", "+1",
     " 1", "1_0", "0x10", "", "4.9406564584124654e-324", "1.7976931348623159e308"]
)  # fmt: skip
price_text = decimal.map(str) | odd_number | st.floats(allow_nan=False).map(repr)
price = price_text | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
ident = (
    st.integers(-(2**65), 2**65)
    | st.text("0123456789", max_size=5)
    | st.none()
    | st.floats(allow_nan=False, allow_infinity=False)
)
symbol = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=10) | st.integers()


def maybe(draw: st.DrawFn, data: dict[str, Any], key: str, value: st.SearchStrategy[Any]) -> None:
    if draw(st.integers(0, 9)):
        data[key] = draw(value)


@st.composite
def book_ticker(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in (("u", ident), ("s", symbol), ("b", price), ("B", price), ("a", price)):
        maybe(draw, data, key, value)
    maybe(draw, data, "A", price_text)
    if draw(st.booleans()):
        data["E"] = draw(ident)
    if draw(st.integers(0, 5)) == 0:
        data["e"] = draw(st.sampled_from(["bookTicker", None, "trade"]))
    return data


@st.composite
def trade(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["trade", "aggTrade"]))
    data: dict[str, Any] = {"e": kind}
    seq_key = "t" if kind == "trade" else "a"
    for key, value in (("E", ident), ("s", symbol), (seq_key, ident), ("p", price), ("q", price)):
        maybe(draw, data, key, value)
    for key in ("T", "f", "l"):
        if draw(st.booleans()):
            data[key] = draw(ident)
    if draw(st.booleans()):
        data["m"] = draw(st.booleans() | st.just("true"))
    data["M"] = True
    return data


@FAST
@given(
    data=book_ticker() | trade(),
    combined=st.booleans(),
    text=st.booleans(),
    spaced=st.integers(0, 4),
)
def test_fast_and_slow_agree_on_random_payloads(
    data: dict[str, Any], combined: bool, text: bool, spaced: int
) -> None:
    stream = "btcusdt@" + ("bookTicker" if "e" not in data else str(data["e"]))
    value = {"stream": stream, "data": data} if combined else data
    encoded = json.dumps(value, separators=(",", ":") if spaced else None)
    assert_same(encoded if text else encoded.encode())


@FAST
@given(
    base=st.sampled_from([BT, TR, AGG, raw(BT), raw(TR), raw(AGG)]),
    cut=st.integers(0, 400),
    junk=st.binary(max_size=4),
)
def test_fast_and_slow_agree_on_mangled_frames(base: bytes, cut: int, junk: bytes) -> None:
    cut %= len(base) + 1
    assert_same(base[:cut] + junk + base[cut + len(junk) :])
    assert_same(base[:cut] + junk + base[cut:])
