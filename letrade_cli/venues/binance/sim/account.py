"""The Binance account of the sim: its name, default starting balances and order-engine rules."""

from __future__ import annotations

from decimal import Decimal

from letrade_cli.sim.accounts import AccountRules

BINANCE = "binance"  # the venue, its account and its hub connections

DEFAULT_BALANCES: dict[str, Decimal] = {
    "USDT": Decimal(10000),
    "BTC": Decimal(1),
    "ETH": Decimal(10),
}

# 0.1% of what is received (base on a buy, quote on a sell); the default self-trade prevention
# (EXPIRE_MAKER) expires our own resting orders a taker reaches.
RULES = AccountRules(fee_rate=Decimal("0.001"), fee_in_quote=False, self_trade_prevention=True)
