"""Binance spot (and its testnet): the venue as data; its modules load when first used.

``dialect`` + ``fast``: market data. ``auth``: HMAC-SHA256 signing. ``orders``: the order API.
``sim/``: Binance's dialect of the embedded exchange (which also serves the ``sim`` venue).
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
        name="binance",
        dialect="binance",
        ws_url="wss://stream.binance.com:9443",
        rest_url="https://api.binance.com",
        inbound_msgs_per_s=5,
        max_connection_age_s=24 * 3600,
        description="Binance spot (real market data)",
        live_money=True,
        api_key_env="BINANCE_API_KEY",
        secret_env="BINANCE_API_SECRET",
        account_ws_url="wss://ws-api.binance.com:443/ws-api/v3",
    ),
    VenueSpec(
        name="binance-testnet",
        dialect="binance",
        ws_url="wss://stream.testnet.binance.vision",
        rest_url="https://testnet.binance.vision",
        inbound_msgs_per_s=5,
        max_connection_age_s=24 * 3600,
        description="Binance spot testnet",
        api_key_env="BINANCE_TESTNET_API_KEY",
        secret_env="BINANCE_TESTNET_API_SECRET",
        account_ws_url="wss://ws-api.testnet.binance.vision/ws-api/v3",
    ),
    # URLs are filled in when the embedded exchange starts (it picks a free port).
    VenueSpec(
        name="sim",
        dialect="binance",
        ws_url="ws://127.0.0.1:0",
        rest_url="http://127.0.0.1:0",
        inbound_msgs_per_s=5,
        max_connection_age_s=24 * 3600,
        description="letrade sim: the embedded exchange on 127.0.0.1 (Binance dialect)",
        # Unset: the sim's default account; set them for `letrade sim --api-key/--api-secret`.
        api_key_env="LETRADE_SIM_API_KEY",
        secret_env="LETRADE_SIM_API_SECRET",
        embedded=True,
        account_ws_url="/ws-api/v3",
    ),
)

# Spot limits as Binance documents them (exchangeInfo "rateLimits"; the WebSocket API's docs show
# ORDERS 50 per 10 s and 160,000 per day, REQUEST_WEIGHT 6,000 per minute).
CAPABILITIES = Capabilities(
    server_clock_sync=True,
    market_buy_by_quote=False,
    cancel_completes_later=False,
    fills_in_order_answer=True,
    fills_in_order_query=False,
    market_order_settles_later=False,
    public_rules=True,
    test_orders=True,
    order_types=frozenset({"MARKET", "LIMIT", "LIMIT_MAKER"}),
    times_in_force=frozenset({"GTC", "IOC", "FOK"}),
    weighted_requests=True,
    weight_header="X-MBX-USED-WEIGHT-1M",
    rate_limits=(
        RateLimit("request_weight", 6000, 60.0, scope="ip"),
        RateLimit("orders", 50, 10.0, scope="account", applies_to="orders"),
        RateLimit("orders", 160_000, 86_400.0, scope="account", applies_to="orders"),
        RateLimit("ws_messages", 5, 1.0, scope="connection", applies_to="ws"),
    ),
    private_stream=True,  # the WebSocket API's user data stream (listenKeys retired 2026-02-20)
    ws_order_entry=True,  # order.place & co. on the same session
)

QUOTES = ("USDT", "FDUSD", "USDC", "BUSD", "BTC", "ETH", "BNB", "EUR", "TRY")


def _dialect() -> Dialect:
    from letrade_cli.venues.binance.dialect import BinanceDialect

    return BinanceDialect()


def _order_api(venue: str) -> OrderApi:
    from letrade_cli.venues.binance.orders import BinanceOrders

    return BinanceOrders(venue)


def _signer(api_key: str, secret: str, recv_window_ms: int) -> RequestSigner:
    from letrade_cli.venues.binance.auth import BinanceSigner

    return BinanceSigner(api_key, secret, recv_window_ms=recv_window_ms)


def _ed25519_signer(api_key: str, material: bytes, recv_window_ms: int) -> RequestSigner:
    from letrade_cli.venues.binance.auth import BinanceEd25519Signer, load_ed25519_key

    return BinanceEd25519Signer(api_key, load_ed25519_key(material), recv_window_ms=recv_window_ms)


def _session(url: str, venue: str, keys: SessionKeys, settings: SessionSettings) -> PrivateStream:
    from letrade_cli.venues.binance.ws_api import BinanceWsApiSession

    return BinanceWsApiSession(url, venue, keys, settings)


# sim(context) -> BinanceSimDialect; the sim package is imported only when the sim starts.
_sim = SimDialectFactory("letrade_cli.venues.binance.sim:BinanceSimDialect")


def _history() -> HistoryApi:
    from letrade_cli.venues.binance.history import BinanceHistory

    return BinanceHistory()


VENUE = Venue(
    name="binance",
    specs=SPECS,
    capabilities=CAPABILITIES,
    symbols=SymbolFormat(separator="", quote_first=False, quotes=QUOTES),
    dialect=_dialect,
    order_api=_order_api,
    signer=_signer,
    sim=_sim,
    recorded_hosts=("binance",),
    example_symbol="BTCUSDT",
    session=_session,
    history=_history,
    ed25519_signer=_ed25519_signer,
)


def __getattr__(name: str) -> Any:
    """``BinanceDialect``/``BinanceDecoder`` on first use (the package import stays cheap)."""
    if name in ("BinanceDialect", "BinanceDecoder"):
        from letrade_cli.venues.binance import dialect

        return getattr(dialect, name)
    raise AttributeError(name)


__all__ = ["CAPABILITIES", "SPECS", "VENUE", "BinanceDecoder", "BinanceDialect"]
