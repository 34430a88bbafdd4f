"""Upbit dialect: QUOTE-BASE symbols, one subscription frame, DEFAULT and SIMPLE field names.

Upbit sends binary frames; both formats are decoded (``DEFAULT`` spells ``trade_price``,
``SIMPLE`` abbreviates it to ``tp``). We subscribe with ``DEFAULT``; ``SIMPLE`` is what the
recorded traffic in ``tests/data`` uses.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from letrade_cli.core.errors import DecodeError, ExchangeRejectedError, UsageError
from letrade_cli.core.tick import Tick
from letrade_cli.venues.base import MarketInfo, RestRequest, Usage
from letrade_cli.venues.symbols import split_symbol
from letrade_cli.venues.upbit import QUOTES  # by precedence: KRW, then USDT, then BTC

_QUOTE_RANK = {q: i for i, q in enumerate(QUOTES)}
# Our channel name -> Upbit's subscription type.
UPBIT_TYPES = {"bookTicker": "orderbook", "trade": "trade", "ticker": "ticker"}
_FIELD_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)

# Field names per format:
# code, timestamp, trade_price, trade_volume, sequential_id, orderbook_units, bid, ask, bid size
_DEFAULT = (
    "code",
    "timestamp",
    "trade_price",
    "trade_volume",
    "sequential_id",
    "orderbook_units",
    "bid_price",
    "ask_price",
    "bid_size",
)
_SIMPLE = ("cd", "tms", "tp", "tv", "sid", "obu", "bp", "ap", "bs")


def to_upbit_symbol(raw: str) -> str:
    """``krw-btc``, ``BTC/KRW``, ``BTCKRW`` -> ``KRW-BTC``; ``BTCUSDT`` -> ``USDT-BTC``.

    Raises:
        UsageError: Unparseable, or no KRW/USDT/BTC quote.
    """
    parts = split_symbol(raw)
    if len(parts) == 1:
        text = parts[0]
        for quote in QUOTES:
            if text.endswith(quote) and len(text) > len(quote):
                parts = [text[: -len(quote)], quote]
                break
        else:
            raise _no_quote(raw)
    a, b = parts
    rank_a, rank_b = _QUOTE_RANK.get(a, 99), _QUOTE_RANK.get(b, 99)
    if rank_a == rank_b:  # neither is a quote (a == b is not a market either)
        raise _no_quote(raw)
    return f"{a}-{b}" if rank_a < rank_b else f"{b}-{a}"


def _no_quote(raw: str) -> UsageError:
    return UsageError(
        f"not an Upbit market: {raw.strip()[:30]!r}",
        hint="Upbit quotes in KRW, BTC or USDT: write KRW-BTC, BTC/KRW or BTCKRW",
    )


def _rejected(venue: str, error: Any) -> ExchangeRejectedError:
    if isinstance(error, dict):
        name, text = error.get("name"), error.get("message", "")
    else:
        name, text = None, error
    return ExchangeRejectedError(
        f"{venue} rejected a request: {str(text or name)[:200]}", code=name
    )


class UpbitDecoder:
    """Decodes Upbit WebSocket frames (bytes or str, DEFAULT or SIMPLE format) into Ticks."""

    __slots__ = ("venue",)

    def __init__(self, venue: str = "upbit") -> None:
        self.venue = venue

    def decode(self, frame: bytes | str, recv_ns: int) -> Tick | None:
        """One frame -> Tick; None for ``{"status":"UP"}`` and types we do not map.

        Raises:
            DecodeError: Not JSON, or a known type with missing/malformed fields.
            ExchangeRejectedError: ``{"error":{"name":...,"message":...}}``.
        """
        try:
            msg = orjson.loads(frame)
        except orjson.JSONDecodeError:
            raise DecodeError(f"{self.venue}: frame is not JSON") from None
        try:
            kind = msg.get("type")
            keys = _DEFAULT
            if kind is None:
                kind = msg.get("ty")
                keys = _SIMPLE
                if kind is None:
                    self._control(msg)
                    return None
            if kind == "orderbook":
                # {"ty":"orderbook","cd":"KRW-LAMB","tms":1618678262640,
                #  "obu":[{"ap":127.0,"bp":126.0,"as":280460.3,"bs":688682.4},...],"st":"REALTIME"}
                unit = msg[keys[5]][0]
                code = msg[keys[0]]
                if "." in code:  # in case the venue echoes the "KRW-BTC.1" we subscribed
                    code = code.partition(".")[0]
                return Tick(
                    self.venue,
                    code,
                    "orderbook",
                    float(unit[keys[6]]),
                    float(unit[keys[7]]),
                    None,
                    float(unit[keys[8]]),
                    msg[keys[1]],
                    recv_ns,
                    -1,
                )
            if kind == "trade":
                # {"ty":"trade","cd":"KRW-LAMB","tms":1618678262712,"ttms":1618678262000,
                #  "tp":127.0,"tv":46.48838371,"ab":"BID","sid":1618678262000003,"st":"REALTIME"}
                return Tick(
                    self.venue,
                    msg[keys[0]],
                    "trade",
                    None,
                    None,
                    float(msg[keys[2]]),
                    float(msg[keys[3]]),
                    msg[keys[1]],
                    recv_ns,
                    msg[keys[4]],
                )
            if kind == "ticker":
                # {"type":"ticker","code":"KRW-BTC","trade_price":7000000.0,"timestamp":..}
                return Tick(
                    self.venue,
                    msg[keys[0]],
                    "ticker",
                    None,
                    None,
                    float(msg[keys[2]]),
                    None,
                    msg[keys[1]],
                    recv_ns,
                    -1,
                )
            return None
        except _FIELD_ERRORS as exc:
            raise DecodeError(
                f"{self.venue}: malformed frame ({type(exc).__name__}: {str(exc)[:60]})"
            ) from None

    def _control(self, msg: dict[str, Any]) -> None:
        # {"status":"UP"} | {"error":{"name":"INVALID_AUTH","message":"..."}}
        if "error" in msg:
            raise _rejected(self.venue, msg["error"])
        if "status" in msg:
            return None
        raise DecodeError(f"{self.venue}: unknown frame (keys: {', '.join(list(msg)[:5])})")


class UpbitDialect:
    """Upbit: KRW, BTC and USDT markets.

    Args:
        orderbook_units: Levels per orderbook frame, requested as ``KRW-BTC.{n}`` (Upbit takes
            1, 5, 15 or 30; default 30). We only read the top level, and a 1-level frame is a
            tenth of the bytes to receive and parse. None subscribes without a count.
    """

    name = "upbit"
    channels: tuple[str, ...] = ("bookTicker", "trade", "ticker")
    # Upbit's sequential_id is unique but not contiguous: no channel steps by one.
    contiguous_channels: frozenset[str] = frozenset()

    def __init__(self, orderbook_units: int | None = 1) -> None:
        if orderbook_units is not None and orderbook_units not in (1, 5, 15, 30):
            raise UsageError("Upbit sends 1, 5, 15 or 30 orderbook levels")
        self.orderbook_units = orderbook_units

    def normalize_symbol(self, raw: str) -> str:
        """Any common spelling -> Upbit's ``QUOTE-BASE`` (see ``to_upbit_symbol``)."""
        return to_upbit_symbol(raw)

    def markets_request(self) -> RestRequest:
        """``GET /v1/market/all?isDetails=false``."""
        return RestRequest("/v1/market/all", {"isDetails": "false"})

    def parse_markets(self, payload: Any) -> dict[str, MarketInfo]:
        """MarketInfo per ``QUOTE-BASE`` market (Upbit lists no filters here)."""
        try:
            out: dict[str, MarketInfo] = {}
            for item in payload:
                market = item["market"]
                quote, base = market.split("-", 1)
                warning = item.get("market_warning")
                status = "CAUTION" if warning and warning != "NONE" else "TRADING"
                out[market] = MarketInfo(symbol=market, base=base, quote=quote, status=status)
            return out
        except _FIELD_ERRORS as exc:
            raise DecodeError(f"upbit: malformed market list ({type(exc).__name__})") from None

    def ws_path(self, symbols: Sequence[str], channels: Sequence[str]) -> str:
        """Nothing: the venue's ws_url already ends in ``/websocket/v1``."""
        self._types(channels)
        return ""

    def subscribe_messages(
        self, symbols: Sequence[str], channels: Sequence[str], first_id: int
    ) -> list[str]:
        """ONE frame: ``[{"ticket"},{"type","codes"}...,{"format":"DEFAULT"}]`` (ids unused).

        Orderbook codes carry the level count (``KRW-BTC.1``) unless ``orderbook_units`` is None.
        """
        types = self._types(channels)
        codes = list(dict.fromkeys(self.normalize_symbol(s) for s in symbols))
        if not codes or not types:
            return []
        frame: list[dict[str, Any]] = [{"ticket": str(uuid.uuid4())}]
        units = self.orderbook_units
        for t in types:
            if t == "orderbook" and units is not None:
                frame.append({"type": t, "codes": [f"{c}.{units}" for c in codes]})
            else:
                frame.append({"type": t, "codes": codes})
        frame.append({"format": "DEFAULT"})
        return [orjson.dumps(frame).decode()]

    def decoder(self, venue: str) -> UpbitDecoder:
        """A decoder stamping ticks with ``venue``."""
        return UpbitDecoder(venue)

    def price_request(self, symbols: Sequence[str]) -> RestRequest:
        """``GET /v1/ticker?markets=KRW-BTC,KRW-ETH``."""
        codes = dict.fromkeys(self.normalize_symbol(s) for s in symbols)
        return RestRequest("/v1/ticker", {"markets": ",".join(codes)})

    def parse_prices(self, payload: Any, venue: str, recv_ns: int) -> list[Tick]:
        """Ticks (channel ``rest``, last = trade_price) from a /v1/ticker answer."""
        items = [payload] if isinstance(payload, dict) else payload
        try:
            return [
                Tick(
                    venue,
                    item["market"],
                    "rest",
                    None,
                    None,
                    float(item["trade_price"]),
                    None,
                    item["timestamp"],
                    recv_ns,
                    -1,
                )
                for item in items
            ]
        except _FIELD_ERRORS as exc:
            raise DecodeError(f"upbit: malformed ticker answer ({type(exc).__name__})") from None

    def _types(self, channels: Sequence[str]) -> list[str]:
        types: list[str] = []
        for channel in channels:
            if channel == "kline_1m":
                raise UsageError(
                    "Upbit's WebSocket has no kline_1m channel",
                    hint="use --channel trade or --channel ticker on upbit",
                )
            upbit_type = UPBIT_TYPES.get(channel)
            if upbit_type is None:
                raise UsageError(
                    f"upbit has no channel {channel!r}", hint=f"use {', '.join(self.channels)}"
                )
            if upbit_type not in types:
                types.append(upbit_type)
        return types

    def rest_error(self, payload: Any) -> tuple[str, Any] | None:
        """``{"error": {"name": "order_not_found", "message": ".."}}`` -> message and name."""
        error = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(error, dict):
            return f"{error.get('message', '')} ({error.get('name', '')})", error.get("name")
        return None

    def rate_usage(self, headers: Mapping[str, str], payload: Any) -> list[Usage]:
        """``Remaining-Req: group=order; min=720; sec=11`` -> 11 left of the order limit.

        ``sec`` is what is left of the group's per-second limit (``min`` is deprecated and fixed);
        ``order`` is the new-order group, ``default`` the other exchange calls, and every other
        group (``market``, ``candles``, ``ticker``, ``orderbook``, ...) a quotation one.
        """
        raw = headers.get("Remaining-Req")
        if not raw:
            return []
        fields = dict(part.strip().partition("=")[::2] for part in raw.split(";") if "=" in part)
        sec = fields.get("sec", "")
        if not sec.isdigit():
            return []
        group = fields.get("group", "")
        if group == "order":
            return [Usage("orders", 1.0, "orders", remaining=int(sec))]
        if group == "default":
            return [Usage("requests", 1.0, "private", remaining=int(sec))]
        return [Usage("requests", 1.0, "public", remaining=int(sec))]

    def change_request(self, symbols: Sequence[str]) -> RestRequest | None:
        """``GET /v1/ticker?markets=..`` (``signed_change_rate``: since 00:00 KST)."""
        return RestRequest("/v1/ticker", {"markets": ",".join(symbols)})

    def parse_changes(self, payload: Any) -> dict[str, float]:
        """Market -> ``signed_change_rate`` as a percent (Upbit sends a fraction)."""
        rows = [payload] if isinstance(payload, dict) else payload
        try:
            return {str(r["market"]): float(r["signed_change_rate"]) * 100 for r in rows}
        except (KeyError, TypeError, ValueError) as exc:
            raise DecodeError(
                f"upbit: malformed 24 h ticker answer ({type(exc).__name__})"
            ) from None
