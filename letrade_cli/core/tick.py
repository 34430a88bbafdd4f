"""The one typed record every decoder produces and every consumer reads."""

from __future__ import annotations

import msgspec


class Tick(msgspec.Struct, gc=False):
    """One market-data update, decoded once.

    A ``msgspec.Struct``: built in C (a third of a slotted dataclass's ``__init__``), and
    untracked by the garbage collector (its fields are strings and numbers only).

    Prices are floats: ticks feed displays, signals and latency figures. Anything that reaches an
    order is converted to ``Decimal`` and quantised to the venue's tick size in ``trading``.

    Attributes:
        venue: Venue name as in the registry (``sim`` ...).
        symbol: The venue's own symbol (``BTCUSDT``, ``KRW-BTC``).
        channel: What produced it: ``bookTicker``, ``trade``, ``aggTrade``, ``kline_1m``,
            ``ticker``, ``orderbook``.
        bid: Best bid price, when the channel carries one.
        ask: Best ask price, when the channel carries one.
        last: Last traded (or close) price, when the channel carries one.
        size: Size of the last trade (or best-level size for book channels).
        event_time_ms: The exchange's event time in ms since the epoch; 0 when the channel has
            none (a spot ``bookTicker`` frame).
        recv_ns: Our ``time.time_ns()`` when the frame was read off the socket.
        seq: The channel's sequence number (bookTicker ``u``, trade ``t``, aggTrade ``a``; for a
            candle its open time divided by its interval), or -1.
        open: A candle's open price (``kline_*`` channels), else None.
        high: A candle's high price (``kline_*`` channels), else None.
        low: A candle's low price (``kline_*`` channels), else None.
    """

    venue: str
    symbol: str
    channel: str
    bid: float | None
    ask: float | None
    last: float | None
    size: float | None
    event_time_ms: int
    recv_ns: int
    seq: int = -1
    open: float | None = None
    high: float | None = None
    low: float | None = None

    @property
    def mid(self) -> float | None:
        """Mid price when both sides are known, else the last price."""
        if self.bid is not None and self.ask is not None:
            return (self.bid + self.ask) / 2
        return self.last

    @property
    def price(self) -> float | None:
        """The price a display would show: last trade, else mid."""
        return self.last if self.last is not None else self.mid
