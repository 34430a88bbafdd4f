"""The plug between the sim's engine and a venue's dialect of it.

The engine (:class:`~letrade_cli.sim.server.SimExchange`) knows no venue: for every registered
venue with a ``sim`` factory (:func:`letrade_cli.venues.registry.venues`) it builds one
:class:`SimDialect` from a :class:`SimContext`, lists the dialect's markets in the one
:class:`~letrade_cli.sim.generator.MarketEngine`, opens its account in the one
:class:`~letrade_cli.sim.orders.OrderEngine` with its :class:`AccountRules`, registers its
:class:`StreamRules` with the :class:`~letrade_cli.sim.hub.Hub`, mounts its routes, and hands it
every released slice of events to format. A venue package declares its factory as
``sim=SimDialectFactory("letrade_cli.venues.<name>.sim:<Class>")``: the dialect's module is
imported only when the sim starts (or its defaults are asked for).

This module imports nothing heavy at run time (the ledger's rules only), so a venue package can
name the factory cheaply.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from letrade_cli.sim.accounts import AccountRules

if TYPE_CHECKING:
    from aiohttp import web

    from letrade_cli.sim.config import SimConfig
    from letrade_cli.sim.faults import OrderFaults
    from letrade_cli.sim.generator import Event, MarketEngine
    from letrade_cli.sim.hub import Hub, Payloads, StreamRules, Times
    from letrade_cli.sim.markets import Market
    from letrade_cli.sim.orders import OrderEngine

__all__ = ["AccountRules", "SimContext", "SimDialect", "SimDialectFactory"]


@dataclass(frozen=True, slots=True)
class SimContext:
    """What the engine hands a dialect: the shared state of one running sim.

    Attributes:
        config: The sim's settings (seed, limits, the key pair, balances).
        engine: Every listed market's feed (the dialect's markets are listed in it).
        hub: Connections, subscriptions and the send loop.
        orders: The order engine (the dialect's account is opened in it after construction).
        faults: The queue of faults for the order routes.
        ws_available: False while new WebSocket upgrades must be refused (HTTP 503).
    """

    config: SimConfig
    engine: MarketEngine
    hub: Hub
    orders: OrderEngine
    faults: OrderFaults
    ws_available: Callable[[], bool]


class SimDialect(Protocol):
    """One venue's dialect of the embedded exchange.

    Attributes:
        name: The venue's name; also the name of its account and of its hub connections.
        default_balances: The account's starting balances unless ``SimConfig.balances`` names
            others.
        rules: How the order engine charges and matches the account.
        stream_rules: How the hub treats its WebSocket connections (frame opcode, server pings,
            the symbol of a stream key).
        rest_prefixes: Path prefixes of its REST routes: those requests are counted in
            ``SimStats.rest_requests`` and answer 503 while REST is unavailable.
        markets: Its listed markets by its own spelling (none may collide with another's).
    """

    # Read-only members: a dialect may declare them as class attributes of narrower types.
    @property
    def name(self) -> str: ...  # noqa: D102
    @property
    def default_balances(self) -> Mapping[str, Decimal]: ...  # noqa: D102
    @property
    def rules(self) -> AccountRules: ...  # noqa: D102
    @property
    def stream_rules(self) -> StreamRules: ...  # noqa: D102
    @property
    def rest_prefixes(self) -> tuple[str, ...]: ...  # noqa: D102
    @property
    def markets(self) -> Mapping[str, Market]: ...  # noqa: D102

    def __init__(self, context: SimContext) -> None: ...

    def routes(self) -> list[web.RouteDef]:
        """Its HTTP routes: REST market data and the order routes."""
        ...

    def ws_routes(self) -> list[web.RouteDef]:
        """Its WebSocket paths and their handlers."""
        ...

    def build(self, events: dict[str, list[Event]], now_s: float, times: Times) -> Payloads:
        """Payloads per stream key for its markets among one slice's ``events``.

        ``times`` receives each payload's event time (ms) per stream key, for the streams whose
        payloads the hub must interleave in time order across a connection's streams.
        """
        ...

    def build_periodic(self, now_s: float) -> Payloads:
        """Payloads of its timed streams (called every 100 ms); ``{}`` when it has none."""
        ...

    async def start(self) -> None:
        """The sim is listening (its URLs are known)."""
        ...

    async def stop(self) -> None:
        """The sim is stopping: close the connections the hub does not hold."""
        ...

    def drop_connections(self) -> int:
        """Abort the connections the hub does not hold (no close handshake); how many."""
        ...


class SimDialectFactory:
    """A venue's ``sim`` factory: ``factory(context)`` builds its :class:`SimDialect`.

    ``target`` is ``"module:Class"``; the module is imported on first use only.
    """

    __slots__ = ("target",)

    def __init__(self, target: str) -> None:
        self.target = target

    def load(self) -> type[SimDialect]:
        """The dialect class (imports its module)."""
        module, _, cls = self.target.partition(":")
        dialect: type[SimDialect] = getattr(importlib.import_module(module), cls)
        return dialect

    def __call__(self, context: SimContext) -> SimDialect:
        """A new dialect for ``context``."""
        return self.load()(context)

    def __repr__(self) -> str:
        return f"SimDialectFactory({self.target!r})"
