"""Parsing what users type as a symbol (``btcusdt``, ``BTC/USDT``, ``krw-btc``) into parts."""

from __future__ import annotations

from letrade_cli.core.errors import UsageError

SEPARATORS = "/-_"
MAX_SYMBOL_LEN = 30
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def split_symbol(raw: str) -> list[str]:
    """Upper-cased parts of ``raw`` split on one separator (``/``, ``-`` or ``_``).

    Returns one part for a concatenated symbol (``BTCUSDT``) and two for a pair.

    Raises:
        UsageError: Empty, too long, more than two parts, or a character outside A-Z 0-9.
    """
    if not isinstance(raw, str):
        raise UsageError(f"symbol must be text, got {type(raw).__name__}")
    text = raw.strip()
    if not text:
        raise UsageError("empty symbol", hint="write it like BTCUSDT or BTC/USDT")
    # Check ASCII before upper-casing: "ß".upper() is "SS".
    text = text.upper() if text.isascii() else "\x00"
    if len(text) > MAX_SYMBOL_LEN:
        raise UsageError(
            f"symbol too long: {text[:MAX_SYMBOL_LEN]}...", hint="at most 30 characters"
        )
    for sep in SEPARATORS:
        if sep in text:
            parts = text.split(sep)
            break
    else:
        parts = [text]
    if len(parts) > 2 or not all(parts) or not all(_ALNUM.issuperset(p) for p in parts):
        raise UsageError(
            f"invalid symbol {raw.strip()!r}",
            hint="use letters and digits, optionally one separator: BTCUSDT, BTC/USDT, BTC-USDT",
        )
    return parts
