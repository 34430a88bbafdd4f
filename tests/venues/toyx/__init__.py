"""toyx: a made-up venue that lives only under tests/, to prove a venue needs no edit elsewhere.

It differs from both real venues on purpose: ``BTC_USDT`` symbols (base first, ``_``), one JSON
subscribe frame on ``/toyx/ws``, short JSON quote and trade frames, HMAC-SHA256 over
``METHOD\\npath\\nquery`` in ``X-TOYX-SIGN`` (key in ``X-TOYX-KEY``, a nonce instead of a clock),
its own order and error shapes, and its own dialect of the embedded exchange (:mod:`.sim`).

Registered only by ``tests/venues/toyx/conftest.py`` (``registry.register("tests.venues.toyx")``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from letrade_cli.sim.dialect import SimDialectFactory
from letrade_cli.venues.base import Capabilities, RateLimit, SymbolFormat, Venue, VenueSpec

if TYPE_CHECKING:
    from letrade_cli.venues.base import Dialect, OrderApi, RequestSigner

NAME = "toyx"
QUOTES = ("USDT", "USDC", "BTC")

SPECS = (
    VenueSpec(
        name="toyx",
        dialect=NAME,
        ws_url="wss://ws.toyx.invalid",
        rest_url="https://api.toyx.invalid",
        inbound_msgs_per_s=10,
        max_connection_age_s=12 * 3600,
        description="toyx (a made-up venue for the venue seams' tests)",
        api_key_env="TOYX_API_KEY",
        secret_env="TOYX_API_SECRET",
    ),
    # Served by the embedded exchange (URLs filled in when it starts), like the `sim` venue.
    VenueSpec(
        name="toyx-sim",
        dialect=NAME,
        ws_url="ws://127.0.0.1:0",
        rest_url="http://127.0.0.1:0",
        inbound_msgs_per_s=10,
        max_connection_age_s=12 * 3600,
        description="toyx on the embedded exchange",
        api_key_env="TOYX_SIM_API_KEY",
        secret_env="TOYX_SIM_API_SECRET",
        embedded=True,
    ),
)

CAPABILITIES = Capabilities(
    server_clock_sync=False,  # nonce signing: no timestamp to correct
    market_buy_by_quote=False,  # a market buy is sized in the base asset
    cancel_completes_later=False,
    fills_in_order_answer=True,
    fills_in_order_query=True,
    market_order_settles_later=False,
    public_rules=True,  # /toyx/markets carries the filters, unsigned
    test_orders=False,
    order_types=frozenset({"MARKET", "LIMIT"}),
    times_in_force=frozenset({"GTC", "IOC"}),
    weighted_requests=False,
    rate_limits=(RateLimit("requests", 20, 1.0, scope="account", applies_to="all"),),
)


def _dialect() -> Dialect:
    from tests.venues.toyx.dialect import ToyxDialect

    return ToyxDialect()


def _order_api(venue: str) -> OrderApi:
    from tests.venues.toyx.orders import ToyxOrders

    return ToyxOrders(venue)


def _signer(api_key: str, secret: str, recv_window_ms: int) -> RequestSigner:
    from tests.venues.toyx.auth import ToyxSigner

    return ToyxSigner(api_key, secret)


VENUE = Venue(
    name=NAME,
    specs=SPECS,
    capabilities=CAPABILITIES,
    symbols=SymbolFormat(separator="_", quote_first=False, quotes=QUOTES),
    dialect=_dialect,
    order_api=_order_api,
    signer=_signer,
    sim=SimDialectFactory("tests.venues.toyx.sim:ToyxSimDialect"),
    recorded_hosts=("toyx",),
    example_symbol="BTC_USDT",
)
