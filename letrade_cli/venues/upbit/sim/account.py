"""The Upbit account of the sim: its name, default starting balances and order-engine rules."""

from __future__ import annotations

from decimal import Decimal

from letrade_cli.sim.accounts import AccountRules

UPBIT = "upbit"  # the venue, its account and its hub connections

DEFAULT_BALANCES: dict[str, Decimal] = {
    "KRW": Decimal(10_000_000),
    "BTC": Decimal("0.1"),
}

# 0.05% of the quote amount, on top of a buy; our own orders may trade with each other.
RULES = AccountRules(fee_rate=Decimal("0.0005"), fee_in_quote=True, self_trade_prevention=False)
