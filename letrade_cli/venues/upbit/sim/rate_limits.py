"""Upbit's request limits as the sim keeps them: per-group counts per second, 429, then 418.

Upbit's docs ("요청 수 제한(Rate Limits)"): every limit is per second and per group; the calls
of a group share one count. Exchange calls are counted per pocket (the sim's one account):
``order`` (``POST /v1/orders``; 8/s, raised to 12/s on 2026-08-21) and ``default`` (every other
exchange call, 30/s). Quotation calls are counted per IP, each kind on its own (10/s each):
``market`` (``/v1/market/all``), ``candles``, ``crix-trades`` (``/v1/trades/ticks``; the docs say
"체결 그룹", the header says ``crix-trades``), ``ticker``, ``orderbook``.

Every answer carries ``Remaining-Req: group=<group>; min=<fixed>; sec=<left this second>``
(``min`` is deprecated and fixed; the sim sends 60 x the per-second limit, e.g. ``min=1800``
for ``default`` and ``min=600`` for the quotation groups, as Upbit answers). A call over its
group's limit is answered 429 ``{"error":{"name":"too_many_requests",...}}``; calls refused
again before the second is over are violations, and ``SimConfig.ban_after_violations`` of them
block the IP (quotation) or the pocket (exchange) with 418, the block time in the message, the
block doubling with each repeat from ``SimConfig.ban_s``. Upbit documents no ``Retry-After``:
the sim sends none (``sec=0`` says to wait for the next second).
"""

from __future__ import annotations

import math
import time

import orjson
from aiohttp import web

from letrade_cli.sim.config import SimConfig
from letrade_cli.sim.limits import FixedWindow, RateGuard, RefusalCount

# group -> requests per second (docs "Rate Limits"; order since 2026-08-21)
GROUPS: dict[str, int] = {
    "order": 12,
    "default": 30,
    "market": 10,
    "candles": 10,
    "crix-trades": 10,
    "ticker": 10,
    "orderbook": 10,
}
EXCHANGE_GROUPS = frozenset({"order", "default"})


class UpbitLimits:
    """The per-group counts and the two standings (IP for quotation, pocket for exchange)."""

    def __init__(self, config: SimConfig, stats: RefusalCount | None = None) -> None:
        limits = {**GROUPS, **config.request_groups}
        self.windows = {g: FixedWindow(n, config.group_window_s) for g, n in limits.items()}
        args = (config.ban_after_violations, config.ban_s, config.ban_max_s)
        self.ip = RateGuard(*args, stats=stats)
        self.pocket = RateGuard(*args, stats=stats)

    def remaining_req(self, group: str) -> str:
        """The ``Remaining-Req`` header of an answer in ``group``."""
        window = self.windows[group]
        left = max(0, window.limit - window.current())
        return f"group={group}; min={window.limit * 60}; sec={left}"

    def admit(self, group: str) -> web.Response | None:
        """Count one call of ``group``: None when allowed, else the 429 or 418 answer."""
        guard = self.pocket if group in EXCHANGE_GROUPS else self.ip
        left = guard.banned_for()
        if left is None:
            _, retry = self.windows[group].add()
            if retry is None:
                return None
            ban = guard.refuse(retry)
            if ban is None:
                return self._answer(429, group, "Too many API requests.")
            left = ban
        until = time.strftime("%Y-%m-%dT%H:%M:%S+09:00", time.gmtime(guard.banned_until + 9 * 3600))
        who = "pocket" if guard is self.pocket else "IP"
        message = (
            f"Too many API requests; this {who} is blocked for {math.ceil(left)}s (until {until})."
        )
        return self._answer(418, group, message)

    def _answer(self, status: int, group: str, message: str) -> web.Response:
        resp = web.Response(
            body=orjson.dumps({"error": {"name": "too_many_requests", "message": message}}),
            status=status,
            content_type="application/json",
        )
        resp.headers["Remaining-Req"] = self.remaining_req(group)
        return resp
