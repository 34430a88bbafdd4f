"""Upbit's dialect of the embedded exchange: quotation REST, ``/websocket/v1``, exchange API.

:class:`UpbitSimDialect` is what ``VENUE.sim`` builds: market data on ``/websocket/v1`` in binary
frames (:mod:`.ws`), ``myOrder``/``myAsset`` on ``/websocket/v1/private`` (:mod:`.private_ws`),
the REST routes under ``/v1/`` (:mod:`.rest`, :mod:`.orders`), 0.05% fees
in the quote asset on top of a buy, and no self-trade prevention (:mod:`.account`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from letrade_cli.sim.dialect import SimContext, SimDialect
from letrade_cli.sim.generator import Event
from letrade_cli.sim.hub import OP_BINARY, Payloads, StreamRules, Times
from letrade_cli.venues.upbit.sim.account import DEFAULT_BALANCES, RULES, UPBIT
from letrade_cli.venues.upbit.sim.markets import upbit_markets
from letrade_cli.venues.upbit.sim.orders import UpbitOrders
from letrade_cli.venues.upbit.sim.private_ws import UpbitPrivateStreams
from letrade_cli.venues.upbit.sim.rate_limits import UpbitLimits
from letrade_cli.venues.upbit.sim.rest import UpbitRest
from letrade_cli.venues.upbit.sim.ws import UpbitStreams, stream_symbol

__all__ = ["DEFAULT_BALANCES", "RULES", "UpbitSimDialect", "upbit_markets"]


class UpbitSimDialect:
    """Upbit as the sim serves it (see :class:`letrade_cli.sim.dialect.SimDialect`).

    Attributes:
        streams: The ``/websocket/v1`` streams.
        private: The ``/websocket/v1/private`` connections (myOrder, myAsset).
        orders: The exchange API (accounts, orders).
        rest: The quotation API (markets, tickers, order books, candles, trade ticks).
        limits: The request groups' counts per second, 429 and 418 (:mod:`.rate_limits`).
    """

    name = UPBIT
    default_balances = DEFAULT_BALANCES
    rules = RULES
    stream_rules = StreamRules(opcode=OP_BINARY, server_ping=False, key_symbol=stream_symbol)
    rest_prefixes = ("/v1/",)

    def __init__(self, context: SimContext) -> None:
        cfg = context.config
        self.context = context
        self.markets = upbit_markets()
        self.streams = UpbitStreams(
            context.hub, context.engine, self.markets, cfg.seed, context.ws_available
        )
        self.limits = UpbitLimits(cfg, context.hub)
        self.orders = UpbitOrders(
            context.orders, self.markets, cfg.api_key, cfg.api_secret, context.faults, self.limits
        )
        self.rest = UpbitRest(context.engine, self.markets, cfg.seed, self.limits)
        self.private = UpbitPrivateStreams(
            context.orders, self.orders, cfg.ws_idle_timeout_s, context.ws_available
        )

    def not_found(self, request: web.Request) -> web.Response:
        """An unknown path: Upbit's JSON error body (HTTP 404) instead of plain text."""
        return web.json_response(
            {"error": {"name": "not_found", "message": f"Unknown path {request.path}"}},
            status=404,
        )

    def routes(self) -> list[web.RouteDef]:
        """Quotation routes, then the exchange routes."""
        return [*self.rest.routes(), *self.orders.routes()]

    def ws_routes(self) -> list[web.RouteDef]:
        """``/websocket/v1`` and ``/websocket/v1/private``."""
        return [
            web.get("/websocket/v1", self.streams.handle),
            web.get("/websocket/v1/private", self.private.handle),
        ]

    def build(self, events: dict[str, list[Event]], now_s: float, times: Times) -> Payloads:
        """Format the Upbit streams of one slice."""
        return self.streams.build(events, now_s, times)

    def build_periodic(self, now_s: float) -> Payloads:
        """Upbit has no timed streams."""
        return {}

    async def start(self) -> None:
        """Nothing to do: the routes serve as soon as the port is bound."""

    async def stop(self) -> None:
        """Close the private connections (the hub holds the market-data ones)."""
        await self.private.close_all()

    def drop_connections(self) -> int:
        """Abort the private connections (the hub holds the market-data ones)."""
        return self.private.drop_all()


if TYPE_CHECKING:  # mypy holds the class to the engine's plug
    _satisfies: type[SimDialect] = UpbitSimDialect
