"""Binance's dialect of the embedded exchange: spot REST, market streams, orders, WebSocket API.

:class:`BinanceSimDialect` is what ``VENUE.sim`` builds: market data on ``/ws``, ``/ws/<streams>``
and ``/stream`` (:mod:`.ws`); the WebSocket API on ``/ws-api/v3`` (:mod:`.ws_api`: trading,
account, session logon and the user data stream subscriptions, the only user data stream since
listen keys were retired on 2026-02-20); the REST routes under ``/api/`` (:mod:`.rest`,
:mod:`.orders`; ``/api/v3/userDataStream`` answers 410 Gone). REST and WebSocket API share one
weight budget, one order count, one IP standing (429, then 418 bans: :mod:`.rate_limits`) and
one key ring (the HMAC key, Ed25519 keys: :mod:`.signing`). Text frames and
server pings, 0.1% fees in the received asset and self-trade prevention (:mod:`.account`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from letrade_cli.sim.dialect import SimContext, SimDialect
from letrade_cli.sim.generator import Event
from letrade_cli.sim.hub import OP_TEXT, Payloads, StreamRules, Times
from letrade_cli.venues.binance.sim.account import BINANCE, DEFAULT_BALANCES, RULES
from letrade_cli.venues.binance.sim.markets import binance_markets
from letrade_cli.venues.binance.sim.orders import BinanceOrders
from letrade_cli.venues.binance.sim.rate_limits import BinanceLimits
from letrade_cli.venues.binance.sim.rest import BinanceRest
from letrade_cli.venues.binance.sim.trade_tape import TradeTape
from letrade_cli.venues.binance.sim.ws import BinanceStreams, stream_symbol
from letrade_cli.venues.binance.sim.ws_api import WS_API_PATH, WsApi

__all__ = ["DEFAULT_BALANCES", "RULES", "BinanceSimDialect", "binance_markets"]


class BinanceSimDialect:
    """Binance spot as the sim serves it (see :class:`letrade_cli.sim.dialect.SimDialect`).

    Attributes:
        streams: The market-data WebSocket streams.
        orders: The signed trading routes (their handlers also serve the WebSocket API).
        ws_api: The WebSocket API connections (``/ws-api/v3``).
        rest: The public REST routes.
        limits: The request weight, order count and IP bans of REST and WebSocket API alike.
        tape: Recent trades and aggregate trades, for the trade REST endpoints.
    """

    name = BINANCE
    default_balances = DEFAULT_BALANCES
    rules = RULES
    stream_rules = StreamRules(opcode=OP_TEXT, server_ping=True, key_symbol=stream_symbol)
    rest_prefixes = ("/api/",)

    def __init__(self, context: SimContext) -> None:
        cfg = context.config
        self.context = context
        self.markets = binance_markets()
        self.tape = TradeTape()
        self.streams = BinanceStreams(
            context.hub, context.engine, self.markets, cfg.seed, context.ws_available
        )
        self.orders = BinanceOrders(
            context.orders,
            self.markets,
            cfg.api_key,
            cfg.api_secret,
            context.faults,
            cfg.ed25519_keys,
        )
        self.limits = BinanceLimits(cfg, context.hub)
        self.rest = BinanceRest(
            context.engine,
            self.markets,
            cfg.seed,
            cfg.weight_limit_per_min,
            self.tape,
            self.streams.depth,
            self.limits,
        )
        self.orders.limits = self.limits  # one weight budget and order count, as on Binance
        self.ws_api = WsApi(context, self.orders, self.rest)

    def not_found(self, request: web.Request) -> web.Response:
        """An unknown path: a JSON error body (HTTP 404) instead of aiohttp's plain text."""
        from letrade_cli.venues.binance.sim.rest import json_response

        return json_response({"code": -1000, "msg": f"Unknown path {request.path}."}, 404)

    def routes(self) -> list[web.RouteDef]:
        """Market-data REST routes, then the trading routes."""
        return [*self.rest.routes(), *self.orders.routes()]

    def ws_routes(self) -> list[web.RouteDef]:
        """``/ws``, ``/ws/<streams>``, ``/stream``, ``/ws-api/v3``."""
        return [
            web.get("/ws", self.streams.handle),
            web.get("/ws/{streams:.*}", self.streams.handle),
            web.get("/stream", self.streams.handle),
            web.get(WS_API_PATH, self.ws_api.handle),
        ]

    def build(self, events: dict[str, list[Event]], now_s: float, times: Times) -> Payloads:
        """Record the slice's trades on the tape, then format the Binance streams."""
        self.tape.record(events)
        return self.streams.build(events, now_s, times)

    def build_periodic(self, now_s: float) -> Payloads:
        """Depth, ticker and kline streams."""
        return self.streams.build_periodic(now_s)

    async def start(self) -> None:
        """Nothing to do: the routes serve as soon as the port is bound."""

    async def stop(self) -> None:
        """``serverShutdown`` to the WebSocket API connections, then close them."""
        await self.ws_api.close_all()

    def drop_connections(self) -> int:
        """Abort the WebSocket API connections (the hub holds the market-data connections)."""
        return self.ws_api.drop_all()


if TYPE_CHECKING:  # mypy holds the class to the engine's plug
    _satisfies: type[SimDialect] = BinanceSimDialect
