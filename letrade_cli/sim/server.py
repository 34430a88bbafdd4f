"""``SimExchange``: the embedded exchange on one port, every registered dialect, with faults.

Usage::

    async with SimExchange(SimConfig(rate=200.0, seed=7, port=0)) as sim:
        sim.ws_url      # "ws://127.0.0.1:PORT"  (each dialect's WebSocket paths)
        sim.rest_url    # "http://127.0.0.1:PORT" (each dialect's REST paths)
        await sim.drop_connections()
        sim.pause_stream(); sim.resume_stream()
        sim.set_ws_available(False); sim.set_rest_available(False)
        sim.timeout_next_orders(1); sim.fail_next_orders(1, after_accept=True)
        sim.throttle_next_orders(1, retry_after_s=2)

The engine names no venue: it builds one :class:`~letrade_cli.sim.dialect.SimDialect` per
registered venue with a ``sim`` factory (:func:`letrade_cli.venues.registry.venues`), lists its
markets in the one market engine, opens its account (``sim.accounts[name]``) in the one order
engine, mounts its routes and WebSocket paths, and asks it to format every slice of events.
``sim.dialect(name)`` is one of them. Orders act on the dialect's account, matched in the same
books as the market data. See :mod:`letrade_cli.sim.orders`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from aiohttp import web

from letrade_cli.sim.accounts import Account
from letrade_cli.sim.config import SimConfig, SimStats
from letrade_cli.sim.dialect import SimContext, SimDialect
from letrade_cli.sim.faults import FAIL, THROTTLE, TIMEOUT, Fault, OrderFaults
from letrade_cli.sim.generator import Event, MarketEngine
from letrade_cli.sim.hub import Hub, Payloads, Times
from letrade_cli.sim.orders import OrderEngine

__all__ = ["SimConfig", "SimExchange", "SimStats"]

log = logging.getLogger("letrade.sim")


class SimExchange:
    """The embedded exchange: start it, point clients at its URLs, inject faults, stop it."""

    def __init__(self, config: SimConfig | None = None) -> None:
        from letrade_cli.venues.registry import venues

        self.config = config or SimConfig()
        cfg = self.config
        self.engine = MarketEngine({}, cfg.seed, cfg.rate * 0.6)
        self._ws_available = True
        self._rest_available = True
        self.hub = Hub(cfg, self.engine, self._build, self._build_periodic)
        self.orders = OrderEngine(self.engine)
        self.faults = OrderFaults()
        self.context = SimContext(
            config=cfg,
            engine=self.engine,
            hub=self.hub,
            orders=self.orders,
            faults=self.faults,
            ws_available=lambda: self._ws_available,
        )
        self.dialects: dict[str, SimDialect] = {}
        for venue in venues().values():
            if venue.sim is not None:
                self._add(venue.sim(self.context))
        self._dialect_list = list(self.dialects.values())
        self._rest_prefixes = tuple(p for d in self._dialect_list for p in d.rest_prefixes)
        self._runner: web.AppRunner | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self.port = 0

    def _add(self, dialect: SimDialect) -> None:
        name = dialect.name
        if name in self.dialects:
            raise ValueError(f"two sim dialects are named {name!r}")
        clash = self.engine.markets.keys() & dialect.markets.keys()
        if clash:
            raise ValueError(f"sim dialect {name!r} lists markets already listed: {sorted(clash)}")
        self.engine.markets.update(dialect.markets)
        balances = self.config.starting_balances(name, dialect.default_balances)
        self.orders.open_account(name, Account(name, balances), dialect.rules)
        self.hub.register(name, dialect.stream_rules)
        self.dialects[name] = dialect

    def dialect(self, name: str) -> Any:
        """The dialect named ``name`` (a venue's name); KeyError when none is registered.

        Typed ``Any``: callers reach the venue's own parts (its streams, order routes ...).
        """
        return self.dialects[name]

    @property
    def accounts(self) -> dict[str, Account]:
        """Every dialect's account, by venue name."""
        return self.orders.accounts

    def markets(self, name: str) -> list[str]:
        """Every symbol the dialect ``name`` lists, in its own spelling."""
        return list(self.dialects[name].markets)

    @property
    def ws_url(self) -> str:
        """``ws://host:port`` (append one of a dialect's WebSocket paths)."""
        return f"ws://{self.config.host}:{self.port}"

    @property
    def rest_url(self) -> str:
        """``http://host:port`` (append one of a dialect's REST paths)."""
        return f"http://{self.config.host}:{self.port}"

    @property
    def stats(self) -> SimStats:
        """A snapshot of connections, frames, subscriptions and REST requests."""
        return self.hub.stats

    async def start(self) -> None:
        """Bind the port and start the market loop."""
        app = web.Application(middlewares=[self._rest_gate])
        for dialect in self._dialect_list:
            app.add_routes(dialect.ws_routes())
        for dialect in self._dialect_list:
            app.add_routes(dialect.routes())
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, max_line_size=1 << 17
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        for dialect in self._dialect_list:
            await dialect.start()
        self._loop_task = asyncio.create_task(self.hub.run(), name="letrade-sim-loop")
        log.info(
            "sim listening on %s (rate %g/s, seed %d)",
            self.rest_url,
            self.config.rate,
            self.config.seed,
        )

    async def stop(self) -> None:
        """Close every connection and the port."""
        self.faults.stop()
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        self.hub.drop_all()
        for dialect in self._dialect_list:
            await dialect.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SimExchange:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def drop_connections(self) -> int:
        """Abruptly close every WebSocket connection (no close handshake); returns how many."""
        return self.hub.drop_all() + self._drop_dialect_connections()

    def _drop_dialect_connections(self) -> int:
        return sum(dialect.drop_connections() for dialect in self._dialect_list)

    def pause_stream(self) -> None:
        """Stall: connections stay open, no market frames are sent (the market moves on)."""
        self.hub.paused = True

    def resume_stream(self) -> None:
        """End a stall."""
        self.hub.paused = False

    def set_ws_available(self, available: bool) -> None:
        """False: refuse new upgrades with HTTP 503 and drop the open connections."""
        self._ws_available = available
        if not available:
            self.hub.drop_all()
            self._drop_dialect_connections()

    def set_rest_available(self, available: bool) -> None:
        """False: every REST request answers 503."""
        self._rest_available = available

    def timeout_next_orders(self, n: int = 1, hold_s: float = 30.0) -> None:
        """The next ``n`` order requests are carried out, then hang ``hold_s`` and are dropped."""
        self.faults.add(Fault(TIMEOUT, hold_s=hold_s), n)

    def fail_next_orders(self, n: int = 1, status: int = 503, after_accept: bool = False) -> None:
        """The next ``n`` order requests answer ``status`` (after placing, if ``after_accept``)."""
        self.faults.add(Fault(FAIL, status=status, after_accept=after_accept), n)

    def throttle_next_orders(self, n: int = 1, retry_after_s: int = 1) -> None:
        """The next ``n`` order requests answer 429 with ``Retry-After`` (nothing is placed)."""
        self.faults.add(Fault(THROTTLE, status=429, retry_after_s=retry_after_s), n)

    async def wait_for_connections(self, n: int, timeout: float = 5.0) -> None:
        """Wait until at least ``n`` WebSocket connections are open (TimeoutError otherwise)."""
        await self.hub.wait_for(n, timeout)

    def _build(self, events: dict[str, list[Event]], now_s: float) -> tuple[Payloads, Times]:
        times: Times = {}
        out: Payloads | None = None
        for dialect in self._dialect_list:
            part = dialect.build(events, now_s, times)
            if out is None:
                out = part
            elif part:
                out.update(part)  # dialects' stream keys never collide
        return out or {}, times

    def _build_periodic(self, now_s: float) -> Payloads:
        out: Payloads | None = None
        for dialect in self._dialect_list:
            part = dialect.build_periodic(now_s)
            if out is None:
                out = part
            elif part:
                out.update(part)
        return out or {}

    @web.middleware
    async def _rest_gate(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path.startswith(self._rest_prefixes):
            self.hub.rest_requests += 1
            if not self._rest_available:
                return web.Response(status=503, text="service unavailable")
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return self._not_found(request)

    def _not_found(self, request: web.Request) -> web.StreamResponse:
        """An unknown path: the owning dialect's JSON error body (``not_found``), if it has one."""
        for dialect in self._dialect_list:
            answer = getattr(dialect, "not_found", None)
            if answer is not None and request.path.startswith(dialect.rest_prefixes):
                response: web.StreamResponse = answer(request)
                return response
        raise web.HTTPNotFound()
