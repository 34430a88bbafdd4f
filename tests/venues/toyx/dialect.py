"""toyx market data: ``BTC_USDT`` symbols, one JSON subscribe frame, short JSON frames.

Subscribe (one text frame after connecting to ``/toyx/ws``)::

    {"op": "sub", "id": 1, "args": ["quote:BTC_USDT", "trade:BTC_USDT"]}

Frames::

    {"ch": "ack", "id": 1, "args": [...]}
    {"ch": "quote", "s": "BTC_USDT", "b": "64000.01", "a": "64000.02", "B": "0.5", "A": "0.4",
     "t": 1763769600000, "n": 17}                     # n steps by one per symbol
    {"ch": "trade", "s": "BTC_USDT", "p": "64000.02", "q": "0.01", "m": false,
     "t": 1763769600001, "i": 1000123}
    {"ch": "error", "code": "TX_BAD_ARG", "text": "..."}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from letrade_cli.core.errors import DecodeError, ExchangeRejectedError, UsageError
from letrade_cli.core.tick import Tick
from letrade_cli.venues.base import MarketInfo, RestRequest
from letrade_cli.venues.symbols import split_symbol
from tests.venues.toyx import QUOTES

# Our channel name -> toyx's.
TOYX_CHANNELS = {"bookTicker": "quote", "trade": "trade"}
_FIELD_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


def to_toyx_symbol(raw: str) -> str:
    """``btc_usdt``, ``BTC/USDT``, ``btcusdt`` -> ``BTC_USDT``; ``UsageError`` when unparseable."""
    parts = split_symbol(raw)
    if len(parts) == 1:
        text = parts[0]
        for quote in QUOTES:
            if text.endswith(quote) and len(text) > len(quote):
                return f"{text[: -len(quote)]}_{quote}"
        raise UsageError(f"not a toyx market: {raw.strip()[:30]!r}", hint="write it like BTC_USDT")
    base, quote = parts
    rank = {q: i for i, q in enumerate(QUOTES)}  # the more quote-like first: USDT before BTC
    if rank.get(base, 99) < rank.get(quote, 99):  # USDT-BTC
        base, quote = quote, base
    return f"{base}_{quote}"


class ToyxDecoder:
    """toyx frames -> Ticks (quote -> ``bookTicker``, trade -> ``trade``)."""

    __slots__ = ("venue",)

    def __init__(self, venue: str = "toyx") -> None:
        self.venue = venue

    def decode(self, frame: bytes | str, recv_ns: int) -> Tick | None:
        """One frame -> Tick; None for acks.

        Raises:
            DecodeError: Not JSON, or a known frame with missing/malformed fields.
            ExchangeRejectedError: An ``error`` frame.
        """
        try:
            msg = orjson.loads(frame)
        except orjson.JSONDecodeError:
            raise DecodeError(f"{self.venue}: frame is not JSON") from None
        try:
            ch = msg["ch"]
            if ch == "quote":
                return Tick(
                    self.venue,
                    msg["s"],
                    "bookTicker",
                    float(msg["b"]),
                    float(msg["a"]),
                    None,
                    float(msg["B"]),
                    int(msg["t"]),
                    recv_ns,
                    int(msg["n"]),
                )
            if ch == "trade":
                return Tick(
                    self.venue,
                    msg["s"],
                    "trade",
                    None,
                    None,
                    float(msg["p"]),
                    float(msg["q"]),
                    int(msg["t"]),
                    recv_ns,
                    int(msg["i"]),
                )
            if ch == "ack":
                return None
            if ch == "error":
                raise ExchangeRejectedError(
                    f"{self.venue} rejected a request: {str(msg.get('text'))[:200]}",
                    code=msg.get("code"),
                )
        except _FIELD_ERRORS as exc:
            raise DecodeError(
                f"{self.venue}: malformed frame ({type(exc).__name__}: {str(exc)[:60]})"
            ) from None
        raise DecodeError(f"{self.venue}: unknown frame {str(ch)[:20]!r}")


class ToyxDialect:
    """toyx: ``BASE_QUOTE`` markets, quotes and trades."""

    name = "toyx"
    channels: tuple[str, ...] = ("bookTicker", "trade")
    contiguous_channels: frozenset[str] = frozenset({"bookTicker"})

    def normalize_symbol(self, raw: str) -> str:
        """Any common spelling -> ``BASE_QUOTE``."""
        return to_toyx_symbol(raw)

    def markets_request(self) -> RestRequest:
        """``GET /toyx/markets``."""
        return RestRequest("/toyx/markets", {})

    def parse_markets(self, payload: Any) -> dict[str, MarketInfo]:
        """MarketInfo per market; toyx's ``open`` state is the engine's ``TRADING``."""
        try:
            out: dict[str, MarketInfo] = {}
            for item in payload["markets"]:
                state = item["state"]
                out[item["name"]] = MarketInfo(
                    symbol=item["name"],
                    base=item["base"],
                    quote=item["quote"],
                    status="TRADING" if state == "open" else str(state).upper(),
                    tick_size=item["tick"],
                    step_size=item["lot"],
                    min_qty=item["lot"],
                    min_notional=item["min_value"],
                )
            return out
        except _FIELD_ERRORS as exc:
            raise DecodeError(f"toyx: malformed market list ({type(exc).__name__})") from None

    def ws_path(self, symbols: Sequence[str], channels: Sequence[str]) -> str:
        """``/toyx/ws`` (the subscription is a frame)."""
        self._channels(channels)
        return "/toyx/ws"

    def subscribe_messages(
        self, symbols: Sequence[str], channels: Sequence[str], first_id: int
    ) -> list[str]:
        """ONE frame: ``{"op":"sub","id":N,"args":["quote:BTC_USDT",...]}``."""
        names = self._channels(channels)
        codes = list(dict.fromkeys(self.normalize_symbol(s) for s in symbols))
        if not names or not codes:
            return []
        args = [f"{ch}:{code}" for code in codes for ch in names]
        return [orjson.dumps({"op": "sub", "id": first_id, "args": args}).decode()]

    def decoder(self, venue: str) -> ToyxDecoder:
        """A decoder stamping ticks with ``venue``."""
        return ToyxDecoder(venue)

    def price_request(self, symbols: Sequence[str]) -> RestRequest:
        """``GET /toyx/prices?symbols=BTC_USDT,ETH_USDT``."""
        codes = dict.fromkeys(self.normalize_symbol(s) for s in symbols)
        return RestRequest("/toyx/prices", {"symbols": ",".join(codes)})

    def parse_prices(self, payload: Any, venue: str, recv_ns: int) -> list[Tick]:
        """Ticks (channel ``rest``: bid, ask and last) from a /toyx/prices answer."""
        try:
            return [
                Tick(
                    venue,
                    row["s"],
                    "rest",
                    float(row["b"]),
                    float(row["a"]),
                    float(row["last"]),
                    None,
                    int(row["t"]),
                    recv_ns,
                    -1,
                )
                for row in payload["prices"]
            ]
        except _FIELD_ERRORS as exc:
            raise DecodeError(f"toyx: malformed prices answer ({type(exc).__name__})") from None

    def rest_error(self, payload: Any) -> tuple[str, Any] | None:
        """``{"ok": false, "err": "TX_NO_ORDER", "text": ".."}`` -> ``(text, err)``."""
        if isinstance(payload, dict) and payload.get("ok") is False and "err" in payload:
            return f"{payload.get('text', '')} ({payload['err']})", payload["err"]
        return None

    def change_request(self, symbols: Sequence[str]) -> RestRequest | None:
        """toyx publishes no 24 h change."""
        return None

    def parse_changes(self, payload: Any) -> dict[str, float]:
        """Never called (``change_request`` is None)."""
        return {}

    def _channels(self, channels: Sequence[str]) -> list[str]:
        out: list[str] = []
        for channel in channels:
            name = TOYX_CHANNELS.get(channel)
            if name is None:
                raise UsageError(
                    f"toyx has no channel {channel!r}", hint=f"use {', '.join(self.channels)}"
                )
            if name not in out:
                out.append(name)
        return out
