"""``SimExchange``: the embedded exchange on one port, both dialects, with fault injection.

Usage::

    async with SimExchange(SimConfig(rate=200.0, seed=7, port=0)) as sim:
        sim.ws_url      # "ws://127.0.0.1:PORT"  (Binance /ws, /stream; Upbit /websocket/v1)
        sim.rest_url    # "http://127.0.0.1:PORT" (Binance /api/v3/..., Upbit /v1/...)
        await sim.drop_connections()
        sim.pause_stream(); sim.resume_stream()
        sim.set_ws_available(False); sim.set_rest_available(False)
        sim.timeout_next_orders(1); sim.fail_next_orders(1, after_accept=True)
        sim.throttle_next_orders(1, retry_after_s=2)

Orders: the Binance trading routes (``/api/v3/order`` ...) and Upbit's (``/v1/orders`` ...) act
on one account per venue (``sim.accounts``), matched in the same books as the market data; the
user data stream is ``/ws/<listenKey>``. See :mod:`letrade_cli.sim.orders`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType

from aiohttp import web

from letrade_cli.sim.accounts import BINANCE, UPBIT, Account
from letrade_cli.sim.config import SimConfig, SimStats
from letrade_cli.sim.faults import FAIL, THROTTLE, TIMEOUT, Fault, OrderFaults
from letrade_cli.sim.generator import Event, MarketEngine
from letrade_cli.sim.hub import Hub, Payloads, Times
from letrade_cli.sim.markets import all_markets, binance_markets, upbit_markets
from letrade_cli.sim.orders import OrderEngine
from letrade_cli.venues.binance.sim.orders import BinanceOrders
from letrade_cli.venues.binance.sim.rest import BinanceRest
from letrade_cli.venues.binance.sim.trade_tape import TradeTape
from letrade_cli.venues.binance.sim.user_stream import UserStreams
from letrade_cli.venues.binance.sim.ws import BinanceStreams
from letrade_cli.venues.upbit.sim.orders import UpbitOrders
from letrade_cli.venues.upbit.sim.rest import UpbitRest
from letrade_cli.venues.upbit.sim.ws import UpbitStreams

__all__ = ["SimConfig", "SimExchange", "SimStats"]

log = logging.getLogger("letrade.sim")


class SimExchange:
    """The embedded exchange: start it, point clients at its URLs, inject faults, stop it."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        cfg = self.config
        self.engine = MarketEngine(all_markets(), cfg.seed, cfg.rate * 0.6)
        self._ws_available = True
        self._rest_available = True
        self.hub = Hub(cfg, self.engine, self._build, self._build_periodic)
        self.tape = TradeTape()
        self.binance = BinanceStreams(
            self.hub, self.engine, binance_markets(), cfg.seed, lambda: self._ws_available
        )
        self.upbit = UpbitStreams(
            self.hub, self.engine, upbit_markets(), cfg.seed, lambda: self._ws_available
        )
        self.accounts = {
            BINANCE: Account(BINANCE, cfg.starting_balances(BINANCE)),
            UPBIT: Account(UPBIT, cfg.starting_balances(UPBIT)),
        }
        self.orders = OrderEngine(self.engine, self.accounts)
        self.faults = OrderFaults()
        self.binance_orders = BinanceOrders(
            self.orders, binance_markets(), cfg.api_key, cfg.api_secret, self.faults
        )
        self.upbit_orders = UpbitOrders(
            self.orders, upbit_markets(), cfg.api_key, cfg.api_secret, self.faults
        )
        self.user_streams = UserStreams(self.orders, self.binance_orders)
        self._runner: web.AppRunner | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self.port = 0

    @property
    def ws_url(self) -> str:
        """``ws://host:port`` (append ``/ws``, ``/stream?streams=`` or ``/websocket/v1``)."""
        return f"ws://{self.config.host}:{self.port}"

    @property
    def rest_url(self) -> str:
        """``http://host:port`` (append ``/api/v3/...`` or ``/v1/...``)."""
        return f"http://{self.config.host}:{self.port}"

    @property
    def stats(self) -> SimStats:
        """A snapshot of connections, frames, subscriptions and REST requests."""
        return self.hub.stats

    def markets_binance(self) -> list[str]:
        """Every Binance symbol the sim lists."""
        return list(binance_markets())

    def markets_upbit(self) -> list[str]:
        """Every Upbit market code the sim lists."""
        return list(upbit_markets())

    async def start(self) -> None:
        """Bind the port and start the market loop."""
        app = web.Application(middlewares=[self._rest_gate])
        app.router.add_get("/ws", self.binance.handle)
        app.router.add_get("/ws/{streams:.*}", self._ws_path)
        app.router.add_get("/stream", self.binance.handle)
        app.router.add_get("/websocket/v1", self.upbit.handle)
        binance_rest = BinanceRest(
            self.engine,
            binance_markets(),
            self.config.seed,
            self.config.weight_limit_per_min,
            self.tape,
            self.binance.depth,
        )
        self.binance_orders.meter = binance_rest.meter  # one weight budget, as on Binance
        app.add_routes(binance_rest.routes())
        app.add_routes(UpbitRest(self.engine, upbit_markets(), self.config.seed).routes())
        app.add_routes(self.binance_orders.routes())
        app.add_routes(self.upbit_orders.routes())
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, max_line_size=1 << 17
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
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
        await self.user_streams.close_all()
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
        return self.hub.drop_all() + self.user_streams.drop_all()

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
            self.user_streams.drop_all()

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

    async def _ws_path(self, request: web.Request) -> web.StreamResponse:
        """``/ws/<listenKey>`` is a user data stream; any other ``/ws/...`` is market data."""
        tail = request.match_info.get("streams", "")
        if self.user_streams.owns(tail):
            if not self._ws_available:
                return web.Response(status=503, text="service unavailable")
            return await self.user_streams.handle(request, tail)
        return await self.binance.handle(request)

    async def wait_for_connections(self, n: int, timeout: float = 5.0) -> None:
        """Wait until at least ``n`` WebSocket connections are open (TimeoutError otherwise)."""
        await self.hub.wait_for(n, timeout)

    def _build(self, events: dict[str, list[Event]], now_s: float) -> tuple[Payloads, Times]:
        self.tape.record(events)
        times: Times = {}
        out = self.binance.build(events, now_s, times)
        out.update(self.upbit.build(events, now_s))
        return out, times

    def _build_periodic(self, now_s: float) -> Payloads:
        return self.binance.build_periodic(now_s)

    @web.middleware
    async def _rest_gate(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path.startswith(("/api/", "/v1/")):
            self.hub.rest_requests += 1
            if not self._rest_available:
                return web.Response(status=503, text="service unavailable")
        return await handler(request)
