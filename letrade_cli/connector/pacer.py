"""Client-side pacing: wait before a request that the venue would refuse for a rate limit.

A :class:`Pacer` keeps one :class:`Window` per limit: the venue's documented limits
(``Capabilities.rate_limits``) and any limit an answer announces (``Usage.limit``). Windows are
aligned to the venue's clock (``offset_s``: venue minus ours), the way venues count: a 10-second
window resets at :00, :10, :20. Each request counts what it costs in every limit it falls under
(``RateLimit.applies_to``):

- ``all``: every request; its ``weight`` for a ``request_weight`` limit, else 1;
- ``orders``: the new orders it places (``RestRequest.orders``);
- ``private``: signed requests that place no order; ``public``: unsigned requests;
- ``ws``: none (per-connection message limits are the stream's business).

Before a request :meth:`Pacer.acquire` waits for the window to reset when the request would
go over a limit (a request that alone costs more than a limit waits for an empty window); a
wait longer than ``max_wait_s`` (a daily limit used up) raises ``RateLimitedError`` instead.
After an answer :meth:`Pacer.observe` takes what the venue reported (used or remaining) when it
shows more use than counted here: other clients of the same IP or account, or requests whose
answers never came. So a well-behaved client is never refused; ``waits`` and ``waited_s`` say
how often and how long it waited.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from letrade_cli.core.errors import RateLimitedError
from letrade_cli.venues.base import RateLimit, RestRequest, Usage

log = logging.getLogger("letrade.pacer")

Key = tuple[str, float, str]  # (name, interval_s, applies_to)
EDGE_S = 0.25  # a request this close to a window's end is counted in the next window too
START_GUARD_S = 0.02  # after a wait, send this long after the venue's window has reset


@dataclass(slots=True)
class Window:
    """One limit's count in the current aligned window.

    Attributes:
        limit: Units allowed per window.
        interval_s: The window's length.
        index: Which window the count belongs to (``floor(now / interval_s)``).
        used: Units counted in it.
    """

    limit: int
    interval_s: float
    index: int = -1
    used: int = 0
    # Units sent in the last ``EDGE_S`` of the window: they may reach the venue in the next one
    # (network time, clock error), so the next window starts with them counted.
    edge: int = 0

    def roll(self, now: float) -> None:
        """Start a fresh count when ``now`` is in a later window."""
        index = math.floor(now / self.interval_s)
        if index != self.index:
            carried = self.edge if index == self.index + 1 else 0
            self.index, self.used, self.edge = index, carried, 0

    def wait(self, cost: int, now: float) -> float:
        """Seconds to wait before ``cost`` more fits (0: it fits now)."""
        self.roll(now)
        if cost <= 0 or self.used == 0 or self.used + cost <= self.limit:
            return 0.0
        windows = 1 if self.edge == 0 or self.edge + cost <= self.limit else 2
        # A little past the boundary: our estimate of the venue's clock is only as good as the
        # measured offset (whole milliseconds, half a round trip).
        return max((self.index + windows) * self.interval_s - now, 0.0) + START_GUARD_S

    def add(self, cost: int, now: float) -> None:
        """Count ``cost`` in the window that is current at ``now`` (and the next, at its edge)."""
        self.roll(now)
        self.used += cost
        if (self.index + 1) * self.interval_s - now < min(EDGE_S, self.interval_s / 4):
            self.edge += cost

    def report(self, now: float, used: int | None, remaining: int | None) -> None:
        """Take the venue's count (``used``, or ``limit - remaining``) when it is higher."""
        self.roll(now)
        if remaining is not None:
            used = self.limit - remaining
        if used is not None and used > self.used:
            self.used = used


def cost_of(limit: RateLimit | Key, request: RestRequest) -> int:
    """What ``request`` costs in ``limit``."""
    name, _, applies = (
        (limit.name, limit.interval_s, limit.applies_to) if isinstance(limit, RateLimit) else limit
    )
    if applies == "all":
        return request.weight if name == "request_weight" else 1
    if applies == "orders":
        return request.orders
    if applies == "private":
        return 1 if request.signed and not request.orders else 0
    if applies == "public":
        return 0 if request.signed else 1
    return 0


class Pacer:
    """Paces one venue's requests (REST and WebSocket API share it: one budget).

    Attributes:
        windows: The limits paced, by ``(name, interval_s, applies_to)``.
        offset_s: The venue's clock minus ours, in seconds (windows align to the venue's).
        max_wait_s: The longest wait; a longer one raises ``RateLimitedError``.
        waits: How many times a request waited.
        waited_s: How long requests waited in all.
    """

    def __init__(
        self,
        limits: Iterable[RateLimit] = (),
        *,
        max_wait_s: float = 60.0,
        name: str = "",
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.windows: dict[Key, Window] = {}
        for lim in limits:
            if lim.applies_to != "ws":
                self.windows[(lim.name, lim.interval_s, lim.applies_to)] = Window(
                    lim.limit, lim.interval_s
                )
        self.name = name
        self.max_wait_s = max_wait_s
        self.offset_s = 0.0
        self.waits = 0
        self.waited_s = 0.0
        self._clock = clock
        self._sleep = sleep
        self._logged: set[Key] = set()

    def now(self) -> float:
        """The venue's clock, in seconds."""
        return self._clock() + self.offset_s

    def wait_for(self, request: RestRequest) -> tuple[float, Key | None]:
        """Seconds before ``request`` fits every limit, and the limit that holds it up."""
        now = self.now()
        longest, holder = 0.0, None
        for key, window in self.windows.items():
            wait = window.wait(cost_of(key, request), now)
            if wait > longest:
                longest, holder = wait, key
        return longest, holder

    async def acquire(self, request: RestRequest) -> None:
        """Wait until ``request`` fits, then count it.

        Raises:
            RateLimitedError: The wait would be longer than ``max_wait_s``.
        """
        while True:
            wait, holder = self.wait_for(request)
            if holder is None:
                break
            if wait > self.max_wait_s:
                raise RateLimitedError(
                    f"{self.name or 'the venue'}: {_describe(holder, self.windows[holder])} is "
                    f"used up for {wait:.0f}s more; not sending {request.method} {request.path}",
                    retry_after=round(wait, 1),
                )
            self.waits += 1
            self.waited_s += wait
            if holder not in self._logged:
                self._logged.add(holder)
                log.info(
                    "%s: %s reached; waiting %.2fs for the window to reset",
                    self.name or "venue",
                    _describe(holder, self.windows[holder]),
                    wait,
                )
            await self._sleep(wait)
        now = self.now()
        for key, window in self.windows.items():
            cost = cost_of(key, request)
            if cost:
                window.add(cost, now)

    def observe(self, usages: Sequence[Usage]) -> None:
        """Take what an answer reported; an announced limit is paced from now on."""
        if not usages:
            return
        now = self.now()
        for usage in usages:
            key = (usage.name, usage.interval_s, usage.applies_to)
            window = self.windows.get(key)
            if window is None:
                if usage.limit is None:
                    continue
                window = self.windows[key] = Window(usage.limit, usage.interval_s)
            elif usage.limit is not None:
                window.limit = usage.limit
            window.report(now, usage.used, usage.remaining)

    def retry_after(self, request: RestRequest) -> float | None:
        """How long until ``request`` fits (after a refusal that named no time), if it does not."""
        wait, holder = self.wait_for(request)
        return wait if holder is not None else None


def _describe(key: Key, window: Window) -> str:
    name, interval, applies = key
    scope = "" if applies in ("all", name) else f" ({applies})"
    return f"{name}{scope} {window.limit} per {interval:g}s"
