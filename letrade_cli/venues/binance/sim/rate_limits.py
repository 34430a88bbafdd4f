"""Binance's rate limits as the sim keeps them: request weight, the order count, IP bans.

Binance counts in aligned intervals (docs "Rate limits": a ``1 MINUTE`` interval starts every
minute, ``10 SECOND`` resets at :00, :10, :20, ..., ``1 DAY`` at 00:00 UTC). The sim keeps:

- the request weight per IP, one budget for REST and WebSocket API (:class:`WeightMeter`,
  ``SimConfig.weight_limit_per_min`` per ``weight_window_s``): over it, -1003 with HTTP 429;
- the new orders per account, one count for ``POST /api/v3/order`` and the WebSocket API's
  ``order.place`` / ``order.cancelReplace`` (:class:`OrderCounter`, ``order_limit`` per
  ``order_window_s`` and ``order_limit_day`` per ``order_day_s``): over it, -1015 with 429;
- the IP's standing (:class:`~letrade_cli.sim.limits.RateGuard`): requests refused again before
  the retry time are violations; ``ban_after_violations`` of them earn a 418 ban ("Way too much
  request weight used; IP banned until <ms>.") of ``ban_s`` (2 minutes), doubling per ban, at
  most ``ban_max_s`` (3 days).

REST answers carry ``X-MBX-USED-WEIGHT-1M`` and, on order routes, ``X-MBX-ORDER-COUNT-10S`` /
``-1D`` (the suffix is the interval: ``intervalNum`` and S, M, H or D); WebSocket API answers
carry the same counts in ``rateLimits``, one entry each::

    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50, "count": 12}
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from letrade_cli.sim.config import SimConfig
from letrade_cli.sim.limits import FixedWindow, RateGuard, RefusalCount

ORDERS_PER_10S = 50
ORDERS_PER_DAY = 160_000
_UNITS = ((86_400, "DAY", "D"), (3_600, "HOUR", "H"), (60, "MINUTE", "M"), (1, "SECOND", "S"))


def interval_of(seconds: float) -> tuple[str, int, str]:
    """``(interval, intervalNum, letter)`` of a window: 10 s -> ``("SECOND", 10, "S")``."""
    whole = max(1, round(seconds))
    for size, name, letter in _UNITS:
        if whole % size == 0:
            return name, whole // size, letter
    return "SECOND", whole, "S"  # pragma: no cover - size 1 divides everything


def header_suffix(seconds: float) -> str:
    """``1M`` for a minute, ``10S`` for ten seconds, ``1D`` for a day."""
    _, num, letter = interval_of(seconds)
    return f"{num}{letter}"


def entry(kind: str, interval: str, num: int, limit: int, count: int) -> dict[str, Any]:
    """One ``rateLimits`` entry."""
    return {
        "rateLimitType": kind,
        "interval": interval,
        "intervalNum": num,
        "limit": limit,
        "count": count,
    }


def limit_entry(kind: str, seconds: float, limit: int) -> dict[str, Any]:
    """One exchangeInfo ``rateLimits`` entry (no count)."""
    interval, num, _ = interval_of(seconds)
    return {"rateLimitType": kind, "interval": interval, "intervalNum": num, "limit": limit}


class WeightMeter:
    """Request weight used in the current aligned window (a wall-clock minute by default)."""

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.window = FixedWindow(limit, window_s)
        self.header = "X-MBX-USED-WEIGHT-" + header_suffix(window_s)

    @property
    def limit(self) -> int:
        """Weight allowed per window."""
        return self.window.limit

    @property
    def used(self) -> int:
        """Weight used in the current window."""
        return self.window.current()

    def per(self) -> str:
        """The window as Binance writes it in messages: ``1 MINUTE``."""
        interval, num, _ = interval_of(self.window.window_s)
        return f"{num} {interval}"

    def add(self, weight: int) -> tuple[int, float | None]:
        """Count ``weight``; returns ``(used, retry_after_s or None)``."""
        return self.window.add(weight)

    def entry(self) -> dict[str, Any]:
        """The ``REQUEST_WEIGHT`` entry of ``rateLimits``."""
        interval, num, _ = interval_of(self.window.window_s)
        return entry("REQUEST_WEIGHT", interval, num, self.limit, self.used)


def weight_entry(limit: int, used: int) -> dict[str, Any]:
    """``REQUEST_WEIGHT`` per 1 MINUTE."""
    return entry("REQUEST_WEIGHT", "MINUTE", 1, limit, used)


class OrderCounter:
    """New orders placed by the account in the current short window and day."""

    def __init__(
        self,
        per_10s: int = ORDERS_PER_10S,
        per_day: int = ORDERS_PER_DAY,
        *,
        window_s: float = 10.0,
        day_s: float = 86_400.0,
    ) -> None:
        self.short = FixedWindow(per_10s, window_s)
        self.long = FixedWindow(per_day, day_s)

    @property
    def per_10s(self) -> int:
        """Orders allowed per short window."""
        return self.short.limit

    @property
    def per_day(self) -> int:
        """Orders allowed per long window."""
        return self.long.limit

    def counts(self) -> tuple[int, int]:
        """``(this short window, this long window)``."""
        return self.short.current(), self.long.current()

    def add(self) -> tuple[float, int, str] | None:
        """Count one order; None within limits, else ``(retry_after_s, limit, interval)``.

        An order over a limit is counted too (Binance: rejected orders "might" be counted).
        """
        _, over_long = self.long.add()
        _, over_short = self.short.add()
        if over_long is not None:
            return over_long, self.long.limit, _per(self.long.window_s)
        if over_short is not None:
            return over_short, self.short.limit, _per(self.short.window_s)
        return None

    def headers(self) -> dict[str, str]:
        """``X-MBX-ORDER-COUNT-10S`` and ``X-MBX-ORDER-COUNT-1D`` of an order answer."""
        n_short, n_long = self.counts()
        return {
            "X-MBX-ORDER-COUNT-" + header_suffix(self.short.window_s): str(n_short),
            "X-MBX-ORDER-COUNT-" + header_suffix(self.long.window_s): str(n_long),
        }

    def entries(self) -> list[dict[str, Any]]:
        """The two ``ORDERS`` entries (they come first in an order method's ``rateLimits``)."""
        n_short, n_long = self.counts()
        short = interval_of(self.short.window_s)
        long = interval_of(self.long.window_s)
        return [
            entry("ORDERS", short[0], short[1], self.short.limit, n_short),
            entry("ORDERS", long[0], long[1], self.long.limit, n_long),
        ]

    def limit_entries(self) -> list[dict[str, Any]]:
        """The ``ORDERS`` entries of exchangeInfo."""
        return [
            limit_entry("ORDERS", self.short.window_s, self.short.limit),
            limit_entry("ORDERS", self.long.window_s, self.long.limit),
        ]


def _per(seconds: float) -> str:
    interval, num, _ = interval_of(seconds)
    return f"{num} {interval}"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request the limits refuse: HTTP status (429 or 418), Binance code and message.

    Attributes:
        retry_s: Seconds until the window resets (429) or the ban ends (418).
    """

    status: int
    code: int
    msg: str
    retry_s: float

    def rest(self, headers: Mapping[str, str] | None = None) -> web.Response:
        """The REST answer: ``{"code", "msg"}`` with ``Retry-After`` in whole seconds."""
        resp = web.Response(
            body=orjson.dumps({"code": self.code, "msg": self.msg}),
            status=self.status,
            content_type="application/json",
        )
        resp.headers["Retry-After"] = str(max(1, math.ceil(self.retry_s)))
        if headers:
            resp.headers.update(headers)
        return resp

    def data(self) -> dict[str, int]:
        """The WebSocket API error's ``data``: ``serverTime`` and ``retryAfter`` (ms)."""
        server = time.time_ns() // 1_000_000
        return {"serverTime": server, "retryAfter": server + math.ceil(self.retry_s * 1000)}


class BinanceLimits:
    """The sim's one set of Binance limits, shared by REST routes and the WebSocket API.

    Attributes:
        meter: Request weight per IP.
        orders: New orders per account.
        guard: The IP's refusals and bans.
    """

    def __init__(self, config: SimConfig, stats: RefusalCount | None = None) -> None:
        self.meter = WeightMeter(config.weight_limit_per_min, config.weight_window_s)
        self.orders = OrderCounter(
            config.order_limit,
            config.order_limit_day,
            window_s=config.order_window_s,
            day_s=config.order_day_s,
        )
        self.guard = RateGuard(
            config.ban_after_violations, config.ban_s, config.ban_max_s, stats=stats
        )

    def weigh(self, weight: int) -> Refusal | None:
        """A banned IP's 418, else count ``weight``: a 429 (or the ban it earns) when over."""
        banned = self.banned()
        if banned is not None:
            return banned
        _, retry = self.meter.add(weight)
        if retry is None:
            return None
        msg = (
            f"Too much request weight used; current limit is {self.meter.limit} request weight "
            f"per {self.meter.per()}. Please use WebSocket Streams for live updates to avoid "
            "polling the API."
        )
        return self._refuse(-1003, msg, retry)

    def order(self) -> Refusal | None:
        """Count one new order: -1015 with 429 (or the ban it earns) when over a limit."""
        over = self.orders.add()
        if over is None:
            return None
        retry, limit, per = over
        return self._refuse(
            -1015, f"Too many new orders; current limit is {limit} orders per {per}.", retry
        )

    def banned(self) -> Refusal | None:
        """The 418 of a banned IP, None when it is not banned."""
        left = self.guard.banned_for()
        return None if left is None else self._ban(left)

    def _refuse(self, code: int, msg: str, retry_s: float) -> Refusal:
        ban = self.guard.refuse(retry_s)
        if ban is None:
            return Refusal(429, code, msg, retry_s)
        return self._ban(ban)

    def _ban(self, left_s: float) -> Refusal:
        until = int(self.guard.banned_until * 1000)
        msg = (
            f"Way too much request weight used; IP banned until {until}. Please use WebSocket "
            "Streams for live updates to avoid bans."
        )
        return Refusal(418, -1003, msg, left_s)
