"""Money as people read it: rounded to the asset's display precision, never in exponent form.

The rule (one place, used by every report and view): an explicit ``places`` wins (the venue's
quote precision when the run's symbol rules are known); otherwise fiat and stablecoin quotes
show 2 decimals, KRW and JPY 0, and every other asset (BTC, ETH, ...) 8. Values are rounded
half-even for display only; ledgers keep exact values.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

ZERO_PLACES = frozenset({"KRW", "JPY", "IDR", "VND"})
TWO_PLACES = frozenset(
    {"USD", "EUR", "GBP", "TRY", "BRL", "USDT", "USDC", "BUSD", "FDUSD", "TUSD", "DAI", "USDP"}
)
DEFAULT_PLACES = 8


def places_for(asset: str | None) -> int:
    """Display decimals for ``asset`` (see the module's rule)."""
    code = (asset or "").upper()
    if code in ZERO_PLACES:
        return 0
    if code in TWO_PLACES:
        return 2
    return DEFAULT_PLACES


def round_money(
    value: Decimal | str | float | int, asset: str | None, places: int | None = None
) -> Decimal:
    """``value`` rounded to ``asset``'s display precision (``places`` overrides)."""
    digits = places_for(asset) if places is None else places
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
        return number.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    except InvalidOperation:
        return Decimal(0)


def fmt_money(
    value: Decimal | str | float | int,
    asset: str | None,
    places: int | None = None,
    *,
    sign: bool = False,
    unit: bool = False,
) -> str:
    """``value`` as fixed-point text (never ``0E-8``); ``sign`` adds ``+``, ``unit`` the asset."""
    rounded = round_money(value, asset, places)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0.00"
    text = f"{rounded:+f}" if sign else f"{rounded:f}"
    return f"{text} {asset}" if unit and asset else text


def fmt_pct(value: float | Decimal | None, places: int = 2, *, sign: bool = False) -> str:
    """A percentage with ``places`` decimals, ``-`` when unknown."""
    if value is None:
        return "-"
    return f"{float(value):+.{places}f}%" if sign else f"{float(value):.{places}f}%"
