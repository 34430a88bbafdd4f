"""The run's last price per symbol: kept as the tick's float, read as an exact Decimal.

A replay marks every tick but reads a mark only to size an order, value the account or check a
stop, so the Decimal (of the float's shortest repr, like ``paper.to_decimal``) is made on the
first read after a tick and kept until the next one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal


class Marks(Mapping[str, Decimal]):
    """``symbol -> Decimal`` mark; the engine writes ``floats`` and drops ``decimals[symbol]``."""

    __slots__ = ("decimals", "floats")

    def __init__(self) -> None:
        self.floats: dict[str, float] = {}
        self.decimals: dict[str, Decimal] = {}

    def __getitem__(self, symbol: str) -> Decimal:
        mark = self.decimals.get(symbol)
        if mark is None:
            mark = self.decimals[symbol] = Decimal(repr(self.floats[symbol]))
        return mark

    def __setitem__(self, symbol: str, mark: Decimal) -> None:
        self.floats[symbol] = float(mark)
        self.decimals[symbol] = mark

    def __iter__(self) -> Iterator[str]:
        return iter(self.floats)

    def __len__(self) -> int:
        return len(self.floats)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self.floats
