"""The sim's trading accounts: the default key pair, starting balances and free/locked ledgers.

The default key pair is **not secret**: it only opens the sim's own accounts on 127.0.0.1, and
every helper, test and profile uses these constants (override them with ``SimConfig`` or
``letrade sim --api-key/--api-secret``). Balances are ``Decimal``; every change goes through
:class:`Account`, which never lets a free or locked amount go below zero. Each registered venue's
sim dialect opens one account, named after it, with its own starting balances and
:class:`AccountRules` (fees, self-trade prevention).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

ZERO = Decimal(0)

DEFAULT_API_KEY = "letrade-sim-key"
DEFAULT_API_SECRET = "letrade-sim-secret"  # documented, not a secret: the sim's own accounts


@dataclass(frozen=True, slots=True)
class AccountRules:
    """How a venue's order engine charges and matches one account, as data.

    Attributes:
        fee_rate: Commission rate (maker = taker), e.g. ``Decimal("0.001")`` for 0.1%.
        fee_in_quote: True: the fee is a share of the quote amount, on top of a buy (and locked
            with it). False: a share of what is received (the base on a buy, the quote on a sell).
        self_trade_prevention: True: a taker expires the account's own resting orders within its
            reach (EXPIRE_MAKER) and walks the book without them. False: its orders may trade
            with each other.
    """

    fee_rate: Decimal
    fee_in_quote: bool = False
    self_trade_prevention: bool = False


_BALANCE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z][A-Za-z0-9]{1,11})\s*$")


def parse_balance(text: str) -> tuple[str, Decimal]:
    """``"10000USDT"`` -> ``("USDT", Decimal("10000"))``; ValueError names the expected form."""
    m = _BALANCE_RE.match(text)
    if m is None:
        raise ValueError(f"balance {text!r} is not AMOUNTASSET (for example 10000USDT or 0.5BTC)")
    try:
        amount = Decimal(m.group(1))
    except InvalidOperation:  # pragma: no cover - the regex already admits only digits
        raise ValueError(f"balance {text!r}: {m.group(1)!r} is not a number") from None
    return m.group(2).upper(), amount


def parse_balances(
    items: list[str], venues: Sequence[str] | None = None
) -> dict[str, dict[str, Decimal]]:
    """``["10000USDT", "VENUE:5000000KRW"]`` -> starting balances per venue that has any.

    ``venues`` are the known prefixes (default: every venue with a registered sim dialect). An
    item without a ``VENUE:`` prefix goes to every venue; a venue named in no item keeps its
    defaults (it is absent from the result).
    """
    known = list(venues) if venues is not None else sim_venues()
    out: dict[str, dict[str, Decimal]] = {}
    for item in items:
        venue, sep, rest = item.partition(":")
        if sep and venue.lower() not in known:
            raise ValueError(f"venue {venue!r} in {item!r} is not one of {', '.join(known)}")
        targets = [venue.lower()] if sep else known
        asset, amount = parse_balance(rest if sep else item)
        for v in targets:
            out.setdefault(v, {})[asset] = amount
    return out


def sim_venues() -> list[str]:
    """The names of the registered venues that have a sim dialect, in registration order."""
    from letrade_cli.venues.registry import venues

    return [name for name, venue in venues().items() if venue.sim is not None]


class InsufficientBalance(Exception):
    """A lock or debit larger than the free amount."""


@dataclass(slots=True)
class Holding:
    """One asset's free and locked amounts."""

    free: Decimal = ZERO
    locked: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """Free plus locked."""
        return self.free + self.locked


class Account:
    """One venue's account: holdings per asset and the time of the last change."""

    def __init__(self, venue: str, balances: dict[str, Decimal]) -> None:
        self.venue = venue
        self.holdings: dict[str, Holding] = {a: Holding(free=v) for a, v in balances.items()}
        self.avg_buy_price: dict[str, Decimal] = {}
        self.update_ms = 0

    def note_buy(self, asset: str, qty: Decimal, price: Decimal) -> None:
        """Update ``asset``'s average buy price for ``qty`` bought at ``price`` (before crediting).

        A starting balance has no known cost: the first buy sets the average, later buys weight
        it by everything held; selling everything resets it.
        """
        held = self.holding(asset).total
        old = self.avg_buy_price.get(asset, ZERO)
        if held <= 0 or old == 0:
            self.avg_buy_price[asset] = price
            return
        self.avg_buy_price[asset] = ((held * old + qty * price) / (held + qty)).quantize(
            Decimal("0.00000001")
        )

    def holding(self, asset: str) -> Holding:
        """The holding of ``asset`` (created empty on first use)."""
        h = self.holdings.get(asset)
        if h is None:
            h = self.holdings[asset] = Holding()
        return h

    def free(self, asset: str) -> Decimal:
        """Free amount of ``asset``."""
        h = self.holdings.get(asset)
        return h.free if h is not None else ZERO

    def lock(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` from free to locked; InsufficientBalance when free is short."""
        h = self.holding(asset)
        if amount > h.free:
            raise InsufficientBalance(asset)
        h.free -= amount
        h.locked += amount

    def release(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` from locked back to free."""
        h = self.holding(asset)
        amount = min(amount, h.locked)
        h.locked -= amount
        h.free += amount

    def spend_locked(self, asset: str, amount: Decimal) -> None:
        """Remove ``amount`` from locked (it left the account in a trade)."""
        h = self.holding(asset)
        h.locked -= min(amount, h.locked)
        if h.total <= 0:
            self.avg_buy_price.pop(asset, None)

    def credit(self, asset: str, amount: Decimal) -> None:
        """Add ``amount`` to free."""
        self.holding(asset).free += amount

    def snapshot(self) -> dict[str, tuple[Decimal, Decimal]]:
        """``asset -> (free, locked)`` of every asset the account ever held."""
        return {a: (h.free, h.locked) for a, h in self.holdings.items()}
