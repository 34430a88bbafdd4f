"""The Upbit codes the sim lists (``KRW-BTC``, ``BTC-ETH``, ``USDT-BTC`` ...), Upbit tick sizes."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from letrade_cli.sim.markets import QUOTE_USD, USD_PRICES, Market, make_market, significant_tick
from letrade_cli.venues.upbit.sim.account import UPBIT as NAME

UPBIT_STEP = Decimal("0.00000001")

UPBIT_NAMES: dict[str, tuple[str, str]] = {
    "BTC": ("비트코인", "Bitcoin"), "ETH": ("이더리움", "Ethereum"), "XRP": ("리플", "XRP"),
    "SOL": ("솔라나", "Solana"), "DOGE": ("도지코인", "Dogecoin"), "ADA": ("에이다", "Cardano"),
    "TRX": ("트론", "TRON"), "LINK": ("체인링크", "Chainlink"), "DOT": ("폴카닷", "Polkadot"),
    "AVAX": ("아발란체", "Avalanche"), "ETC": ("이더리움클래식", "Ethereum Classic"),
    "SHIB": ("시바이누", "Shiba Inu"), "SUI": ("수이", "Sui"), "NEAR": ("니어프로토콜", "NEAR"),
}  # fmt: skip

UPBIT_CODES = (
    *(f"KRW-{b}" for b in UPBIT_NAMES),
    "BTC-ETH", "BTC-XRP", "BTC-SOL", "BTC-ADA", "BTC-DOGE", "BTC-LINK", "BTC-DOT",
    "USDT-BTC", "USDT-ETH", "USDT-XRP", "USDT-SOL",
)  # fmt: skip


def _upbit_tick(price: float, quote: str) -> Decimal:
    if quote == "BTC":
        return Decimal("0.00000001")
    if quote == "USDT":
        return significant_tick(price) * 10 if price > 1000 else significant_tick(price)
    table = (
        (2_000_000, "1000"), (1_000_000, "500"), (500_000, "100"), (100_000, "50"),
        (10_000, "10"), (1_000, "1"), (100, "0.1"), (10, "0.01"), (1, "0.001"),
    )  # fmt: skip
    for floor, tick in table:
        if price >= floor:
            return Decimal(tick)
    return Decimal("0.0001")


@cache
def upbit_markets() -> dict[str, Market]:
    """Every Upbit code the sim lists (``KRW-BTC``, ``BTC-ETH``, ``USDT-BTC`` ...)."""
    out: dict[str, Market] = {}
    for code in UPBIT_CODES:
        quote, base = code.split("-")
        price = USD_PRICES[base] / QUOTE_USD[quote]
        # Upbit takes volumes to 8 decimals: its lot is 1e-8 (orders of any such volume match).
        out[code] = make_market(code, NAME, base, quote, _upbit_tick(price, quote), UPBIT_STEP)
    return out
