"""Binance spot dialect: symbols, combined-stream subscriptions, frame decoding, REST payloads.

The decoder is the hot path. bookTicker, trade and aggTrade frames (combined or raw) are decoded
by typed msgspec structs in one pass (``fast``), routed by the stream suffix or the frame's first
key. Everything else, and any frame the fast path cannot take as it is, goes through the slow
path: one ``orjson.loads``, a dispatch on the event type ``e``, one positional ``Tick``; field
access errors become ``DecodeError``. The slow path defines the behaviour; the fast path only
returns a Tick when the slow path would return the same one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from letrade_cli.core.errors import DecodeError, ExchangeRejectedError, UsageError
from letrade_cli.core.tick import Tick
from letrade_cli.venues.base import MarketInfo, RestRequest, Usage
from letrade_cli.venues.binance.fast import (
    FAST_ERRORS,
    Trade,
    decode_book_ticker,
    decode_combined_book_ticker,
    decode_combined_trade,
    decode_trade,
)
from letrade_cli.venues.symbols import split_symbol

MAX_PARAMS_PER_FRAME = 200
_FIELD_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)
_KLINE_CHANNELS = {"1m": "kline_1m"}
# kline interval unit -> ms ("1M", months, has no fixed length: seq stays -1)
_INTERVAL_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
# Routing bytes (see BinanceDecoder.decode).
_S, _U, _E, _B, _QUOTE = b"s"[0], b"u"[0], b"e"[0], b"b"[0], b'"'[0]
_RAW_TRADES = (b"t"[0], b"a"[0])  # {"e":"trade" | {"e":"aggTrade"


def _rejected(venue: str, error: Any) -> ExchangeRejectedError:
    if isinstance(error, dict):
        code, text = error.get("code"), error.get("msg", "")
    else:
        code, text = None, error
    return ExchangeRejectedError(f"{venue} rejected a request: {str(text)[:200]}", code=code)


class BinanceDecoder:
    """Decodes Binance market-data frames (combined ``{"stream","data"}`` or raw) into Ticks."""

    __slots__ = ("venue",)

    def __init__(self, venue: str = "binance") -> None:
        self.venue = venue

    def decode(self, frame: bytes | str, recv_ns: int) -> Tick | None:
        """One frame -> Tick; None for control replies and streams we do not map.

        Raises:
            DecodeError: Not JSON, or a known event with missing/malformed fields.
            ExchangeRejectedError: An error reply to a SUBSCRIBE.
        """
        if type(frame) is bytes:
            buf = frame
        elif type(frame) is str and frame.isascii():
            buf = frame.encode()
        else:  # non-ASCII text (orjson rejects lone surrogates), bytearray, memoryview
            return self.decode_slow(frame, recv_ns)
        # Fast path, routed on a byte or two; the typed decoders check everything else. Routing:
        # the first key (stream | u | e), then for combined frames the third-last byte: the
        # closing quote of bookTicker's "A":"..", or the e of a trade's "M":true/false.
        # A price or size of zero falls back: msgspec reads "-0" as 0.0, float() as -0.0.
        try:
            key = buf[2]
            bt: Any = None
            tr: Any = None
            if key == _S:
                end = buf[-3]
                if end == _QUOTE:
                    bt = decode_combined_book_ticker(buf).data
                elif end == _E:
                    tr = decode_combined_trade(buf).data
            elif key == _U or (key == _E and buf[6] == _B):  # spot, or futures bookTicker
                bt = decode_book_ticker(buf)
            elif key == _E and buf[6] in _RAW_TRADES:
                tr = decode_trade(buf)
            if tr is not None:
                last, size = tr.p, tr.q
                if last and size:
                    is_trade = isinstance(tr, Trade)
                    return Tick(
                        self.venue,
                        tr.s,
                        "trade" if is_trade else "aggTrade",
                        None,
                        None,
                        last,
                        size,
                        tr.E,
                        recv_ns,
                        tr.t if is_trade else tr.a,
                    )
            elif bt is not None:
                bid, ask, size = bt.b, bt.a, bt.B
                if bid and ask and size:
                    return Tick(
                        self.venue, bt.s, "bookTicker", bid, ask, None, size, bt.E, recv_ns, bt.u
                    )
        except FAST_ERRORS:
            pass
        return self.decode_slow(frame, recv_ns)

    def decode_slow(self, frame: bytes | str, recv_ns: int) -> Tick | None:
        """``decode`` without the fast path: the reference behaviour (orjson + dict lookups)."""
        try:
            msg = orjson.loads(frame)
        except orjson.JSONDecodeError:
            raise DecodeError(f"{self.venue}: frame is not JSON") from None
        try:
            data = msg.get("data", msg)
            e = data.get("e")
            if (e is None and "u" in data) or e == "bookTicker":
                # spot {"u":400900217,"s":"BNBUSDT","b":"25.35","B":"31.21","a":"25.36","A":"40.66"}
                # (the futures spelling adds "e":"bookTicker" and "E")
                return Tick(
                    self.venue,
                    data["s"],
                    "bookTicker",
                    float(data["b"]),
                    float(data["a"]),
                    None,
                    float(data["B"]),
                    data.get("E", 0),
                    recv_ns,
                    data["u"],
                )
            if e is None:
                self._control(data)
                return None
            if e == "trade" or e == "aggTrade":
                # {"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100",..}
                # {"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001",..}
                return Tick(
                    self.venue,
                    data["s"],
                    e,
                    None,
                    None,
                    float(data["p"]),
                    float(data["q"]),
                    data["E"],
                    recv_ns,
                    data["t"] if e == "trade" else data["a"],
                )
            if e == "kline":
                # {"e":"kline","E":1672515782136,"s":"BNBBTC","k":{"i":"1m","c":"0.0020",..}}
                # (o/h/l: the candle so far; seq: its open time "t" over its interval)
                k = data["k"]
                interval = k["i"]
                unit_ms = _INTERVAL_MS.get(interval[-1:], 0) * int(interval[:-1] or 0)
                return Tick(
                    self.venue,
                    data["s"],
                    _KLINE_CHANNELS.get(interval) or "kline_" + interval,
                    None,
                    None,
                    float(k["c"]),
                    None,
                    data["E"],
                    recv_ns,
                    int(k["t"]) // unit_ms if unit_ms and "t" in k else -1,
                    float(k["o"]) if "o" in k else None,
                    float(k["h"]) if "h" in k else None,
                    float(k["l"]) if "l" in k else None,
                )
            if e == "24hrTicker":
                # {"e":"24hrTicker","E":1672515782136,"s":"BNBBTC","c":"0.0025","b":"0.0024",..}
                return Tick(
                    self.venue,
                    data["s"],
                    "ticker",
                    float(data["b"]),
                    float(data["a"]),
                    float(data["c"]),
                    None,
                    data["E"],
                    recv_ns,
                    -1,
                )
            return None  # depthUpdate, miniTicker, ...: not mapped to ticks
        except _FIELD_ERRORS as exc:
            raise DecodeError(
                f"{self.venue}: malformed frame ({type(exc).__name__}: {str(exc)[:60]})"
            ) from None

    def _control(self, data: dict[str, Any]) -> None:
        # {"result":null,"id":1} | {"error":{"code":2,"msg":"Invalid request"},"id":1}
        # | {"code":2,"msg":"Unknown property","id":1} | {"lastUpdateId":..,"bids":..} (depth5)
        if "error" in data:
            raise _rejected(self.venue, data["error"])
        if "code" in data and "msg" in data:
            raise _rejected(self.venue, data)
        if "result" in data or "id" in data or "lastUpdateId" in data or "stream" in data:
            return None
        raise DecodeError(f"{self.venue}: unknown frame (keys: {', '.join(list(data)[:5])})")


class BinanceDialect:
    """Binance spot (and the letrade sim, which speaks it)."""

    name = "binance"
    channels: tuple[str, ...] = ("bookTicker", "trade", "aggTrade", "kline_1m", "ticker")
    # Channels whose sequence numbers step by exactly one (for GapDetector).
    contiguous_channels: frozenset[str] = frozenset({"trade", "aggTrade"})

    def normalize_symbol(self, raw: str) -> str:
        """``btcusdt``, ``BTC/USDT``, ``BTC-USDT``, ``btc_usdt`` -> ``BTCUSDT``."""
        return "".join(split_symbol(raw))

    def markets_request(self) -> RestRequest:
        """``GET /api/v3/exchangeInfo`` (weight 20)."""
        return RestRequest("/api/v3/exchangeInfo", {}, weight=20)

    def parse_markets(self, payload: Any) -> dict[str, MarketInfo]:
        """MarketInfo per symbol from exchangeInfo, filters kept as the venue's strings."""
        try:
            out: dict[str, MarketInfo] = {}
            for item in payload["symbols"]:
                filters = {f["filterType"]: f for f in item.get("filters", ())}
                price = filters.get("PRICE_FILTER", {})
                lot = filters.get("LOT_SIZE", {})
                notional = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL") or {}
                out[item["symbol"]] = MarketInfo(
                    symbol=item["symbol"],
                    base=item["baseAsset"],
                    quote=item["quoteAsset"],
                    status=item.get("status", "TRADING"),
                    tick_size=price.get("tickSize"),
                    step_size=lot.get("stepSize"),
                    min_qty=lot.get("minQty"),
                    min_notional=notional.get("minNotional"),
                )
            return out
        except _FIELD_ERRORS as exc:
            raise DecodeError(f"binance: malformed exchangeInfo ({type(exc).__name__})") from None

    def ws_path(self, symbols: Sequence[str], channels: Sequence[str]) -> str:
        """Always the combined endpoint; streams are added with SUBSCRIBE messages."""
        self._check_channels(channels)
        return "/stream"

    def subscribe_messages(
        self, symbols: Sequence[str], channels: Sequence[str], first_id: int
    ) -> list[str]:
        """SUBSCRIBE frames of at most 200 streams each, ids counting up from ``first_id``."""
        self._check_channels(channels)
        params = list(
            dict.fromkeys(
                f"{self.normalize_symbol(s).lower()}@{c}" for s in symbols for c in channels
            )
        )
        return [
            orjson.dumps(
                {
                    "method": "SUBSCRIBE",
                    "params": params[i : i + MAX_PARAMS_PER_FRAME],
                    "id": first_id + n,
                }
            ).decode()
            for n, i in enumerate(range(0, len(params), MAX_PARAMS_PER_FRAME))
        ]

    def decoder(self, venue: str) -> BinanceDecoder:
        """A decoder stamping ticks with ``venue``."""
        return BinanceDecoder(venue)

    def price_request(self, symbols: Sequence[str]) -> RestRequest:
        """``GET /api/v3/ticker/bookTicker?symbols=["BTCUSDT",...]`` (weight 4)."""
        names = [self.normalize_symbol(s) for s in symbols]
        return RestRequest(
            "/api/v3/ticker/bookTicker", {"symbols": orjson.dumps(names).decode()}, weight=4
        )

    def parse_prices(self, payload: Any, venue: str, recv_ns: int) -> list[Tick]:
        """Ticks (channel ``rest``) from a bookTicker answer: a list or a single object."""
        items = [payload] if isinstance(payload, dict) else payload
        try:
            return [
                Tick(
                    venue,
                    item["symbol"],
                    "rest",
                    float(item["bidPrice"]),
                    float(item["askPrice"]),
                    None,
                    float(item["bidQty"]),
                    0,
                    recv_ns,
                    -1,
                )
                for item in items
            ]
        except _FIELD_ERRORS as exc:
            raise DecodeError(
                f"binance: malformed bookTicker answer ({type(exc).__name__})"
            ) from None

    def _check_channels(self, channels: Sequence[str]) -> None:
        for channel in channels:
            if channel not in self.channels:
                raise UsageError(
                    f"binance has no channel {channel!r}", hint=f"use {', '.join(self.channels)}"
                )

    def rest_error(self, payload: Any) -> tuple[str, Any] | None:
        """``{"code": -1121, "msg": "Invalid symbol."}`` -> ``("Invalid symbol.", -1121)``."""
        if isinstance(payload, dict) and "code" in payload and "msg" in payload:
            return f"{payload['msg']} (code {payload['code']})", payload["code"]
        return None

    def rate_usage(self, headers: Mapping[str, str], payload: Any) -> list[Usage]:
        """``X-MBX-USED-WEIGHT-1M`` / ``X-MBX-ORDER-COUNT-10S`` and exchangeInfo's limits."""
        from letrade_cli.venues.binance.rate_usage import rate_usage

        return rate_usage(headers, payload)

    def change_request(self, symbols: Sequence[str]) -> RestRequest | None:
        """``GET /api/v3/ticker/24hr?symbols=[..]`` (weight 2 / 40 / 80 by symbol count)."""
        weight = 2 if len(symbols) <= 20 else 40 if len(symbols) <= 100 else 80
        return RestRequest(
            "/api/v3/ticker/24hr", {"symbols": orjson.dumps(list(symbols)).decode()}, weight
        )

    def parse_changes(self, payload: Any) -> dict[str, float]:
        """Symbol -> ``priceChangePercent`` (already in percent)."""
        rows = [payload] if isinstance(payload, dict) else payload
        try:
            return {str(r["symbol"]): float(r["priceChangePercent"]) for r in rows}
        except (KeyError, TypeError, ValueError) as exc:
            raise DecodeError(
                f"binance: malformed 24 h ticker answer ({type(exc).__name__})"
            ) from None
