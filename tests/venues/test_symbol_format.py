"""One ``split`` per venue (``SymbolFormat``): the paper broker and the dry run use the venue's own.

The reproduction from the issue: the paper broker read any dashed symbol as Upbit's QUOTE-BASE,
so a base-first dashed venue (OKX's ``BTC-USDT``) had its base and quote swapped.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from letrade_cli.core.cache import PriceCache
from letrade_cli.core.errors import UsageError
from letrade_cli.core.orders import OrderIntent, Side
from letrade_cli.trading.order_manager import OrderManager
from letrade_cli.trading.paper import PaperBroker
from letrade_cli.trading.portfolio import Portfolio
from letrade_cli.venues.base import MarketInfo, SymbolFormat
from letrade_cli.venues.registry import split_any, symbol_format
from tests.trading.dryrun_helpers import book

BASE_FIRST_DASH = SymbolFormat(separator="-", quote_first=False, quotes=("USDT",))
ASSET = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8)


async def test_a_base_first_dashed_venue_keeps_base_and_quote() -> None:
    cache = PriceCache(ttl_ns=None)
    portfolio = Portfolio("USDT", Decimal(10_000))
    broker = PaperBroker(portfolio, cache.get, split=BASE_FIRST_DASH.split)
    cache.put("BTC-USDT", book("BTC-USDT", 100.0, 100.1))
    async with OrderManager(broker) as manager:
        rules = await manager.rules("BTC-USDT")
        assert (rules.base, rules.quote) == ("BTC", "USDT")
        await manager.submit(OrderIntent("BTC-USDT", Side.BUY, Decimal(1)))
        held = {b.asset: b.free for b in await manager.balances()}
    assert held["BTC"] == Decimal(1)  # the position is in the base asset, not "USDT"
    assert held["USDT"] < Decimal(10_000)


def test_the_real_venues_formats() -> None:
    assert symbol_format("upbit").split("KRW-BTC") == ("BTC", "KRW")
    assert symbol_format("binance").split("BTCFDUSD") == ("BTC", "FDUSD")
    assert symbol_format("sim").split("ETHBTC") == ("ETH", "BTC")
    with pytest.raises(UsageError):
        symbol_format("binance").split("KRW-BTC")  # not its spelling: an error, never a guess
    with pytest.raises(UsageError):
        symbol_format("upbit").split("BTCUSDT")


def test_the_market_list_wins_over_the_format() -> None:
    markets = {"1000SATSUSDT": MarketInfo("1000SATSUSDT", "1000SATS", "USDT")}
    assert symbol_format("binance").split("1000SATSUSDT", markets) == ("1000SATS", "USDT")


def test_split_any_reads_only_unambiguous_spellings() -> None:
    assert split_any("BTCUSDT") == ("BTC", "USDT")
    assert split_any("KRW-BTC") == ("BTC", "KRW")
    assert split_any("NOQUOTE") is None


def test_a_broker_without_a_format_says_so() -> None:
    broker = PaperBroker(Portfolio("USDT", Decimal(1)), PriceCache(ttl_ns=None).get)
    with pytest.raises(UsageError, match="base and quote"):
        broker.split("BTC-USDT")


@given(base=ASSET, quote=ASSET, separator=st.sampled_from(["-", "_", "/"]), first=st.booleans())
def test_join_then_split_is_identity(base: str, quote: str, separator: str, first: bool) -> None:
    fmt = SymbolFormat(separator=separator, quote_first=first, quotes=(quote,))
    assert fmt.split(fmt.join(base, quote)) == (base, quote)


@given(base=ASSET, quote=st.sampled_from(["USDT", "FDUSD", "BTC", "ETH"]))
def test_concatenated_symbols_split_on_the_longest_known_quote(base: str, quote: str) -> None:
    fmt = SymbolFormat(quotes=("USDT", "FDUSD", "BTC", "ETH"))
    got_base, got_quote = fmt.split(base + quote)
    assert got_base + got_quote == base + quote
    assert len(got_quote) >= len(quote)
