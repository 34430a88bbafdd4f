"""Binance spot dialect: symbols, combined-stream subscriptions, frame decoding, REST payloads.

The decoder is the hot path: one ``orjson.loads``, a dispatch on the event type ``e`` with
plain comparisons, one positional ``Tick``. Field access errors become ``DecodeError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from letrade_cli.core.tick import Tick
from letrade_cli.errors import DecodeError, ExchangeRejectedError, UsageError
from letrade_cli.exchanges.base import MarketInfo, RestRequest
from letrade_cli.exchanges.symbols import split_symbol

MAX_PARAMS_PER_FRAME = 200
_FIELD_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)
_KLINE_CHANNELS = {"1m": "kline_1m"}


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
        try:
            msg = orjson.loads(frame)
        except orjson.JSONDecodeError:
            raise DecodeError(f"{self.venue}: frame is not JSON") from None
        try:
            data = msg.get("data", msg)
            e = data.get("e")
            if e is None:
                if "u" in data:
                    # {"u":400900217,"s":"BNBUSDT","b":"25.35","B":"31.21","a":"25.36","A":"40.66"}
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
                k = data["k"]
                interval = k["i"]
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
                    -1,
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
            if e == "bookTicker":  # the futures spelling carries "e" and "E"
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
