"""The sim's market record and the helpers each venue's dialect lists its markets with.

Every dialect lists its own markets (real-looking symbols, tick and lot sizes) with
:func:`make_market`; the sim lists the markets of every registered dialect in one engine.
Prices and quantities live as integers (ticks, lots); a market knows how to turn them into the
decimal strings the venues send. ``price_e8``/``qty_e8`` are the tick and lot sizes in units of
1e-8, so formatting is integer arithmetic only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

E8 = 100_000_000

USD_PRICES: dict[str, float] = {
    "BTC": 64000.0, "ETH": 3100.0, "BNB": 580.0, "SOL": 145.0, "XRP": 0.52, "ADA": 0.45,
    "DOGE": 0.15, "TRX": 0.12, "DOT": 6.8, "LINK": 14.5, "POL": 0.55, "LTC": 82.0,
    "AVAX": 28.0, "SHIB": 0.000018, "UNI": 9.5, "ATOM": 7.2, "XLM": 0.11, "ETC": 24.0,
    "FIL": 4.9, "APT": 8.4, "ARB": 0.85, "OP": 1.9, "NEAR": 5.6, "ICP": 10.5, "INJ": 24.0,
    "SUI": 1.05, "PEPE": 0.0000115, "TON": 6.9, "AAVE": 95.0, "MKR": 2400.0, "ALGO": 0.17,
    "VET": 0.028, "HBAR": 0.075, "SAND": 0.38, "MANA": 0.36, "AXS": 6.4, "EGLD": 32.0,
    "THETA": 1.6, "FTM": 0.62, "GRT": 0.21, "RUNE": 4.6, "CRV": 0.36, "SNX": 2.1,
    "COMP": 52.0, "LDO": 1.8, "IMX": 1.5, "STX": 1.75, "SEI": 0.41, "TIA": 6.2, "WLD": 2.4,
}  # fmt: skip

QUOTE_USD: dict[str, float] = {
    "USDT": 1.0, "FDUSD": 1.0, "USDC": 1.0, "BTC": 64000.0, "ETH": 3100.0, "BNB": 580.0,
    "KRW": 1.0 / 1350.0,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Market:
    """One listed market.

    Attributes:
        symbol: The venue's spelling of the market.
        venue: The name of the dialect that lists it.
        base: Base asset.
        quote: Quote asset.
        tick: Price tick size.
        step: Quantity lot size.
        price_e8: Tick size in units of 1e-8.
        qty_e8: Lot size in units of 1e-8.
        start_ticks: A typical price, in ticks.
        lot_usd: USD value of one lot at the typical price.
    """

    symbol: str
    venue: str
    base: str
    quote: str
    tick: Decimal
    step: Decimal
    price_e8: int
    qty_e8: int
    start_ticks: int
    lot_usd: float

    def price_str(self, ticks: int) -> str:
        """Ticks as an 8-decimal string (``"0.35210000"``)."""
        return e8_str(ticks * self.price_e8)

    def qty_str(self, lots: int) -> str:
        """Lots as an 8-decimal string."""
        return e8_str(lots * self.qty_e8)

    def price_float(self, ticks: int) -> float:
        """Ticks as a JSON number, for dialects that send numbers (display only, never money)."""
        return ticks * self.price_e8 / E8

    def qty_float(self, lots: int) -> float:
        """Lots as a JSON number."""
        return lots * self.qty_e8 / E8

    def price_decimal(self, ticks: int) -> Decimal:
        """Ticks as an exact Decimal."""
        return self.tick * ticks

    @property
    def min_notional(self) -> Decimal:
        """Smallest order value the venue accepts, in the quote asset."""
        if self.quote in ("USDT", "FDUSD", "USDC"):
            return Decimal(5)
        if self.quote == "KRW":
            return Decimal(5000)
        return _pow10_at_most(5.0 / QUOTE_USD[self.quote])


def e8_str(value_e8: int) -> str:
    """An integer count of 1e-8 units as an 8-decimal string."""
    if value_e8 < 0:
        return "-" + e8_str(-value_e8)
    s = f"{value_e8:09d}"
    return f"{s[:-8]}.{s[-8:]}"


def _pow10_at_most(x: float) -> Decimal:
    return Decimal(1).scaleb(math.floor(math.log10(x)))


def significant_tick(price: float) -> Decimal:
    """A tick of about five significant digits at ``price``, between 1e-8 and 0.01."""
    exp = max(-8, min(-2, math.floor(math.log10(price)) - 4))
    return Decimal(1).scaleb(exp)


def lot_step(base_usd: float) -> Decimal:
    """A lot size worth at most about one USD at a base price of ``base_usd``, 1e-8 to 1."""
    exp = max(-8, min(0, math.floor(math.log10(1.0 / base_usd))))
    return Decimal(1).scaleb(exp)


def make_market(
    symbol: str, venue: str, base: str, quote: str, tick: Decimal, step: Decimal | None = None
) -> Market:
    """One market at its typical price (``USD_PRICES`` in ``QUOTE_USD``); lot from ``lot_step``."""
    price = USD_PRICES[base] / QUOTE_USD[quote]
    step = step if step is not None else lot_step(USD_PRICES[base])
    price_e8 = int(tick * E8)
    qty_e8 = int(step * E8)
    start_ticks = max(10, round(price / float(tick)))
    return Market(
        symbol=symbol,
        venue=venue,
        base=base,
        quote=quote,
        tick=tick,
        step=step,
        price_e8=price_e8,
        qty_e8=qty_e8,
        start_ticks=start_ticks,
        lot_usd=float(step) * USD_PRICES[base],
    )
