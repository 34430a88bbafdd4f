"""msgspec fast paths for the frame decoders (the hot path).

Each hot frame shape (Binance bookTicker / trade / aggTrade, combined or raw) gets a typed
``msgspec.Struct`` and a ``strict=False`` decoder, so the venue's decimal strings become floats in
C in the same pass that parses the JSON. A fast path may only *succeed* when the orjson-based
slow path would return exactly the same Tick; anything else falls back to the slow path, which
stays the single definition of behaviour (errors included). What keeps the two equal:

- ``forbid_unknown_fields``: every key is declared and every value is parsed and validated (no
  skipped value can hide invalid UTF-8, a number orjson rejects, or deep nesting).
- Pass-through fields (ids, event times) are ``int | float | str | None``: the union keeps the
  JSON type as orjson would (``strict=False`` does not coerce a string when ``str`` is in the
  union); ints are bounded to int64, where orjson and msgspec agree.
- Prices are ``float``: msgspec accepts a subset of what ``float()`` accepts and rounds the same,
  except ``"-0"`` (msgspec gives ``0.0``); callers fall back on any zero price or size.

The callers catch ``FAST_ERRORS`` and rerun the frame on the slow path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

# msgspec.ValidationError subclasses msgspec.DecodeError; UnicodeError: invalid UTF-8 in bytes;
# IndexError: a frame too short for the routing bytes.
FAST_ERRORS = (msgspec.DecodeError, UnicodeError, IndexError)

_Int = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]
# A value the slow path passes through untouched (Tick.seq, Tick.event_time_ms): whatever the JSON
# holds, as for the slow path's dict lookups (typed Any there too).
if TYPE_CHECKING:
    _Value = Any
else:
    _Value = _Int | float | str | None


class BookTicker(Struct, forbid_unknown_fields=True, gc=False):
    """``{"u":400900217,"s":"BNBUSDT","b":"25.35","B":"31.21","a":"25.36","A":"40.66"}``.

    The futures spelling adds ``"e":"bookTicker"``, ``"E"`` and ``"T"``.
    """

    u: _Value
    s: str
    b: float
    B: float
    a: float
    A: str | float | UnsetType = UNSET
    E: _Value = 0
    e: Literal["bookTicker"] | None = None
    T: _Int | UnsetType = UNSET


class Trade(Struct, forbid_unknown_fields=True, gc=False, tag_field="e", tag="trade"):
    """``{"e":"trade","E":..,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":..,"m":true,..}``."""

    E: _Value
    s: str
    t: _Value
    p: float
    q: float
    T: _Int | UnsetType = UNSET
    m: bool | UnsetType = UNSET
    M: bool | UnsetType = UNSET


class AggTrade(Struct, forbid_unknown_fields=True, gc=False, tag_field="e", tag="aggTrade"):
    """``{"e":"aggTrade","E":..,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":..,"l":..}``."""

    E: _Value
    s: str
    a: _Value
    p: float
    q: float
    f: _Int | UnsetType = UNSET
    l: _Int | UnsetType = UNSET  # noqa: E741 - the venue's key
    T: _Int | UnsetType = UNSET
    m: bool | UnsetType = UNSET
    M: bool | UnsetType = UNSET


class CombinedBookTicker(Struct, forbid_unknown_fields=True, gc=False):
    """``{"stream":"btcusdt@bookTicker","data":{...}}``."""

    data: BookTicker
    stream: str | UnsetType = UNSET


class CombinedTrade(Struct, forbid_unknown_fields=True, gc=False):
    """``{"stream":"btcusdt@trade","data":{...}}`` or ``@aggTrade`` (tagged on ``e``)."""

    data: Trade | AggTrade
    stream: str | UnsetType = UNSET


decode_book_ticker = msgspec.json.Decoder(BookTicker, strict=False).decode
decode_trade = msgspec.json.Decoder(Trade | AggTrade, strict=False).decode
decode_combined_book_ticker = msgspec.json.Decoder(CombinedBookTicker, strict=False).decode
decode_combined_trade = msgspec.json.Decoder(CombinedTrade, strict=False).decode
