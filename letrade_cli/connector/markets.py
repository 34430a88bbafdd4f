"""Validate the symbols a user typed against the venue's own market list."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from letrade_cli.core.errors import UnknownSymbolError, UsageError
from letrade_cli.venues.base import Dialect, MarketInfo


def resolve_symbols(
    raw_symbols: Sequence[str], dialect: Dialect, markets: dict[str, MarketInfo], venue: str
) -> list[str]:
    """Normalise each symbol for the venue and check that the venue lists it (order kept)."""
    if not raw_symbols:
        raise UsageError("no symbols given", hint="e.g. letrade stream BTCUSDT ETHUSDT")
    resolved: list[str] = []
    for raw in raw_symbols:
        symbol = dialect.normalize_symbol(raw)
        market = markets.get(symbol)
        if market is None:
            close = difflib.get_close_matches(symbol, list(markets), n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}?" if close else "check the symbol's spelling"
            raise UnknownSymbolError(f"unknown symbol '{raw}' on {venue}", hint=hint)
        if market.status not in ("TRADING", "active", ""):
            raise UsageError(f"{symbol} is not trading on {venue} (status {market.status})")
        if symbol not in resolved:
            resolved.append(symbol)
    return resolved
