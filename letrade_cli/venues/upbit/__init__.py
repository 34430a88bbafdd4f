"""Upbit (KRW, BTC and USDT markets): the venue as data; its modules load when first used.

``dialect``: market data. ``auth``: JWT signing (PyJWT). ``orders``: the order API.
``sim/``: Upbit's dialect of the embedded exchange.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from letrade_cli.sim.dialect import SimDialectFactory
from letrade_cli.venues.base import Capabilities, RateLimit, SymbolFormat, Venue, VenueSpec

if TYPE_CHECKING:
    from letrade_cli.venues.base import (
        Dialect,
        HistoryApi,
        OrderApi,
        PrivateStream,
        RequestSigner,
        SessionKeys,
        SessionSettings,
    )

SPECS = (
    VenueSpec(
        name="upbit",
        dialect="upbit",
        ws_url="wss://api.upbit.com/websocket/v1",
        rest_url="https://api.upbit.com",
        inbound_msgs_per_s=5,
        max_connection_age_s=24 * 3600,
        description="Upbit (KRW, BTC and USDT markets)",
        live_money=True,
        api_key_env="UPBIT_ACCESS_KEY",
        secret_env="UPBIT_SECRET_KEY",
        account_ws_url="wss://api.upbit.com/websocket/v1/private",
    ),
)

# Quote currencies by precedence: in BTC-USDT the quote is USDT, in KRW-BTC it is KRW.
QUOTES = ("KRW", "USDT", "BTC")

# Upbit's documented limits (docs "Rate Limits"; the order group rose from 8/s to 12/s on
# 2026-08-21). Exchange calls are counted per pocket (account), quotation calls per IP.
CAPABILITIES = Capabilities(
    server_clock_sync=False,  # JWT with a nonce: no timestamp to correct
    market_buy_by_quote=True,  # ord_type=price: spend an amount of the quote currency
    cancel_completes_later=True,  # DELETE /v1/order answers at once, the cancel lands later
    fills_in_order_answer=False,
    fills_in_order_query=True,  # GET /v1/order carries its trades
    market_order_settles_later=True,
    public_rules=False,  # orders/chance is a signed call
    test_orders=False,
    order_types=frozenset({"MARKET", "LIMIT"}),
    times_in_force=frozenset({"GTC", "IOC", "FOK"}),
    weighted_requests=False,
    rate_limits=(
        RateLimit("orders", 12, 1.0, scope="account", applies_to="orders"),
        RateLimit("requests", 30, 1.0, scope="account", applies_to="private"),
        RateLimit("requests", 10, 1.0, scope="ip", applies_to="public"),
        RateLimit("ws_messages", 5, 1.0, scope="connection", applies_to="ws"),
    ),
    private_stream=True,  # /websocket/v1/private: myOrder, myAsset
)


def _dialect() -> Dialect:
    from letrade_cli.venues.upbit.dialect import UpbitDialect

    return UpbitDialect()


def _order_api(venue: str) -> OrderApi:
    from letrade_cli.venues.upbit.orders import UpbitOrders

    return UpbitOrders(venue)


def _signer(api_key: str, secret: str, recv_window_ms: int) -> RequestSigner:
    import warnings

    from letrade_cli.venues.upbit.auth import UpbitSigner

    # PyJWT warns about short HMAC keys (the sim's documented default secret is one).
    warnings.filterwarnings("ignore", message="The HMAC key is .* below the minimum")
    return UpbitSigner(api_key, secret)


# sim(context) -> UpbitSimDialect; the sim package is imported only when the sim starts.
def _session(url: str, venue: str, keys: SessionKeys, settings: SessionSettings) -> PrivateStream:
    from letrade_cli.venues.upbit.private_stream import UpbitPrivateStream

    return UpbitPrivateStream(url, venue, keys, settings)


_sim = SimDialectFactory("letrade_cli.venues.upbit.sim:UpbitSimDialect")


def _history() -> HistoryApi:
    from letrade_cli.venues.upbit.history import UpbitHistory

    return UpbitHistory()


VENUE = Venue(
    name="upbit",
    specs=SPECS,
    capabilities=CAPABILITIES,
    symbols=SymbolFormat(separator="-", quote_first=True, quotes=QUOTES),
    dialect=_dialect,
    order_api=_order_api,
    signer=_signer,
    sim=_sim,
    recorded_hosts=("upbit",),
    example_symbol="KRW-BTC",
    session=_session,
    history=_history,
)


def __getattr__(name: str) -> Any:
    """``UpbitDialect``/``UpbitDecoder`` on first use (the package import stays cheap)."""
    if name in ("UpbitDialect", "UpbitDecoder"):
        from letrade_cli.venues.upbit import dialect

        return getattr(dialect, name)
    raise AttributeError(name)


__all__ = ["CAPABILITIES", "QUOTES", "SPECS", "VENUE", "UpbitDecoder", "UpbitDialect"]
