"""Faults queued for the next order requests: timeout after accepting, 5xx, 429 + Retry-After.

:class:`OrderFaults` is shared by both dialects' order routes; ``SimExchange`` exposes it as
``timeout_next_orders`` / ``fail_next_orders`` / ``throttle_next_orders`` (see
:mod:`letrade_cli.sim.orders`). Each queued fault applies to exactly one order request, in order.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from letrade_cli.core.waits import wait_event

TIMEOUT = "timeout"
FAIL = "fail"
THROTTLE = "throttle"


@dataclass(frozen=True, slots=True)
class Fault:
    """One queued fault.

    Attributes:
        kind: ``timeout``, ``fail`` or ``throttle``.
        status: HTTP status of a ``fail``.
        after_accept: For ``fail``: place the order first, then answer ``status``.
        hold_s: For ``timeout``: how long the accepted request hangs before the drop.
        retry_after_s: For ``throttle``: the ``Retry-After`` header.
    """

    kind: str
    status: int = 503
    after_accept: bool = False
    hold_s: float = 30.0
    retry_after_s: int = 1


class OrderFaults:
    """The queue of faults and how a route applies one."""

    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()
        self._stopping = asyncio.Event()
        self.injected = 0

    def add(self, fault: Fault, count: int) -> None:
        """Queue ``fault`` for the next ``count`` order requests."""
        if count < 0:
            raise ValueError("count must be >= 0")
        self._queue.extend([fault] * count)

    def clear(self) -> None:
        """Forget every queued fault."""
        self._queue.clear()

    def pending(self) -> int:
        """How many order requests will still be faulted."""
        return len(self._queue)

    def stop(self) -> None:
        """Release every held request now (the sim is stopping)."""
        self._stopping.set()

    def take(self) -> Fault | None:
        r"""The next queued fault (now counted as injected), or None.

        For transports that are not HTTP requests (a WebSocket API request): the caller refuses,
        answers after accepting, or :meth:`hold`\ s and drops its connection, as :meth:`apply`.
        """
        if not self._queue:
            return None
        self.injected += 1
        return self._queue.popleft()

    async def hold(self, fault: Fault) -> None:
        """Wait out a ``timeout`` fault's ``hold_s`` (released early when the sim stops)."""
        await wait_event(self._stopping, fault.hold_s)

    async def apply(
        self,
        request: web.Request,
        handler: Callable[[], Awaitable[web.StreamResponse]],
        refuse: Callable[[Fault], web.StreamResponse],
    ) -> web.StreamResponse:
        """Run ``handler`` under the next fault, if one is queued.

        ``refuse(fault)`` builds the venue's 429 / 5xx body.
        """
        fault = self.take()
        if fault is None:
            return await handler()
        if fault.kind == THROTTLE or (fault.kind == FAIL and not fault.after_accept):
            return refuse(fault)
        await handler()
        if fault.kind == FAIL:
            return refuse(fault)
        await self.hold(fault)
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=504)  # never reaches the client: the connection is gone
