"""Upbit quotation REST: market list, ticker, orderbook, candles and trade ticks.

Candles (seconds, minutes, days, weeks, months, years) and trade ticks come from the
deterministic history (:mod:`letrade_cli.sim.candles`, :mod:`.ticks`), newest first, so the same
request with the same ``to`` always returns the same bytes; history is published per whole
second, and the candle still open stops at the last one. ``count`` over the most (200 candles,
500 ticks) is cut to it, as Upbit does. Errors are Upbit's quotation errors, their ``name`` the
status as a number: ``{"error":{"name":404,"message":"Code not found"}}``, and 400 with
``Missing request parameter error...``, ``Type mismatch error...`` or ``Invalid parameter...``.
Each route counts in its request group (``Remaining-Req``, 429, 418: :mod:`.rate_limits`).
"""

from __future__ import annotations

import asyncio
import calendar
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiohttp import web

from letrade_cli.sim.candles import (
    Candle,
    candle,
    interval_next,
    interval_open,
    price_ticks_at,
)
from letrade_cli.sim.config import SimConfig
from letrade_cli.sim.generator import MarketEngine
from letrade_cli.sim.markets import Market
from letrade_cli.venues.upbit.sim.format import (
    candle_fields,
    orderbook_msg,
    ticker_fields,
    trade_tick,
)
from letrade_cli.venues.upbit.sim.markets import UPBIT_NAMES
from letrade_cli.venues.upbit.sim.rate_limits import UpbitLimits
from letrade_cli.venues.upbit.sim.ticks import ticks_before

MINUTE_UNITS = (1, 3, 5, 10, 15, 30, 60, 240)
DAY_MS = 86_400_000
KST = timedelta(hours=9)
MOST_CANDLES = 200
MOST_TICKS = 500
SECONDS_KEPT_MS = 90 * DAY_MS  # second candles: the last 3 months only, older is []
DAYS_AGO = range(1, 8)
YEAR = "1y"  # the sim's own name: the path has no yearly interval
HMS = re.compile(r"(\d\d):?(\d\d):?(\d\d)")

MISSING = "Missing request parameter error. Check the required parameters!"
TYPE_MISMATCH = "Type mismatch error. Check the parameters type!"
INVALID = "Invalid parameter. Check the given value!"


class UpbitApiError(Exception):
    """An Upbit error answer."""

    def __init__(self, status: int, name: str | int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.name = name
        self.message = message


def missing() -> UpbitApiError:
    """A required parameter is absent (quotation: 400, name 400)."""
    return UpbitApiError(400, 400, MISSING)


def mistyped() -> UpbitApiError:
    """A parameter is not of its type, e.g. ``count=abc``."""
    return UpbitApiError(400, 400, TYPE_MISMATCH)


def invalid() -> UpbitApiError:
    """A parameter's value is out of its range or format."""
    return UpbitApiError(400, 400, INVALID)


def not_found() -> UpbitApiError:
    """A market Upbit does not list."""
    return UpbitApiError(404, 404, "Code not found")


def json_response(body: Any, status: int = 200) -> web.Response:
    """A JSON answer (orjson), as both the quotation and the exchange routes send it."""
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _now_s() -> int:
    """Now, down to the whole second: the history published so far."""
    now = _now_ms()
    return now - now % 1000


def parse_to(raw: str | None) -> int:
    """Upbit's ``to`` (exclusive end; ISO 8601 or ``yyyy-MM-dd HH:mm:ss``, UTC unless offset)."""
    if not raw:
        return _now_ms() + 1
    text = raw.strip().replace(" ", "T").replace("Z", "+00:00")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise invalid() from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return int(at.timestamp() * 1000)


def parse_hms(raw: str) -> int:
    """The ticks' ``to`` (``HHmmss`` or ``HH:mm:ss``, UTC) as ms into the day."""
    match = HMS.fullmatch(raw.strip())
    if match is None:
        raise invalid()
    h, m, s = (int(g) for g in match.groups())
    if h > 23 or m > 59 or s > 59:
        raise invalid()
    return ((h * 60 + m) * 60 + s) * 1000


def _int_param(request: web.Request, *names: str) -> int | None:
    """The first of ``names`` in the query as an integer; None when absent or empty."""
    raw = next((request.query[n] for n in names if request.query.get(n)), None)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise mistyped() from None


def _date(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def _open(interval: str, t_ms: int) -> int:
    if interval == YEAR:
        return calendar.timegm((time.gmtime(t_ms // 1000).tm_year, 1, 1, 0, 0, 0)) * 1000
    return interval_open(interval, t_ms)


def _next(interval: str, open_ms: int) -> int:
    if interval == YEAR:
        return calendar.timegm((time.gmtime(open_ms // 1000).tm_year + 1, 1, 1, 0, 0, 0)) * 1000
    return interval_next(interval, open_ms)


class UpbitRest:
    """The Upbit REST routes of the sim."""

    def __init__(
        self,
        engine: MarketEngine,
        markets: dict[str, Market],
        seed: int,
        limits: UpbitLimits | None = None,
    ) -> None:
        self.engine = engine
        self.markets = markets
        self.seed = seed
        self.limits = limits or UpbitLimits(SimConfig())

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes with Upbit error mapping."""
        candles = [
            ("seconds", self.candles_seconds),
            ("minutes/{unit}", self.candles_minutes),
            ("days", self.candles_days),
            ("weeks", self.candles_weeks),
            ("months", self.candles_months),
            ("years", self.candles_years),
        ]
        return [
            web.get("/v1/market/all", self._wrap(self.market_all, "market")),
            web.get("/v1/ticker", self._wrap(self.ticker, "ticker")),
            web.get("/v1/orderbook", self._wrap(self.orderbook, "orderbook")),
            *(web.get(f"/v1/candles/{p}", self._wrap(h, "candles")) for p, h in candles),
            web.get("/v1/trades/ticks", self._wrap(self.trades_ticks, "crix-trades")),
        ]

    def _wrap(self, handler: Any, group: str) -> Any:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            refused = self.limits.admit(group)
            if refused is not None:
                return refused
            try:
                resp: web.StreamResponse = await handler(request)
            except UpbitApiError as exc:
                resp = json_response(
                    {"error": {"name": exc.name, "message": exc.message}}, exc.status
                )
            resp.headers["Remaining-Req"] = self.limits.remaining_req(group)
            return resp

        return wrapped

    def _markets(self, request: web.Request) -> list[str]:
        # Upbit takes a list both repeated (markets=A&markets=B, what pyupbit sends) and joined.
        raw = request.query.getall("markets", []) + request.query.getall("markets[]", [])
        codes = [c.strip().upper() for part in raw for c in part.split(",") if c.strip()]
        if not codes:
            raise missing()
        if any(c not in self.markets for c in codes):
            raise not_found()
        return codes

    def _market(self, request: web.Request) -> Market:
        code = request.query.get("market", "").strip().upper()
        if not code:
            raise missing()
        m = self.markets.get(code)
        if m is None:
            raise not_found()
        return m

    def _count(self, request: web.Request, most: int) -> int:
        """``count``: 1 when absent, at most ``most`` (a larger one is cut, not refused)."""
        count = _int_param(request, "count")
        if count is None:
            return 1
        if count < 1:
            raise invalid()
        return min(count, most)

    async def market_all(self, request: web.Request) -> web.Response:
        """``GET /v1/market/all[?isDetails=true]``."""
        details = request.query.get("isDetails", "false").lower() == "true"
        rows = []
        for code, m in self.markets.items():
            ko, en = UPBIT_NAMES.get(m.base, (m.base, m.base))
            row: dict[str, Any] = {"market": code, "korean_name": ko, "english_name": en}
            if details:
                row["market_warning"] = "NONE"
                row["market_event"] = {"warning": False, "caution": {}}
            rows.append(row)
        return json_response(rows)

    async def ticker(self, request: web.Request) -> web.Response:
        """``GET /v1/ticker?markets=KRW-BTC,KRW-ETH``."""
        now = _now_ms()
        rows = []
        for code in self._markets(request):
            fields = ticker_fields(self.engine.feed(code, now), self.seed, now)
            await asyncio.sleep(0)  # a cold market reads a day of its path: let streams run
            at = datetime.fromtimestamp(now / 1000, UTC) + KST
            rows.append(
                {
                    "market": code,
                    **fields,
                    "trade_date_kst": at.strftime("%Y%m%d"),
                    "trade_time_kst": at.strftime("%H%M%S"),
                }
            )
        return json_response(rows)

    async def orderbook(self, request: web.Request) -> web.Response:
        """``GET /v1/orderbook?markets=KRW-BTC``."""
        now = _now_ms()
        rows = []
        for code in self._markets(request):
            msg = orderbook_msg(self.engine.feed(code, now), now, "SNAPSHOT")
            rows.append(
                {
                    "market": code,
                    "timestamp": msg["timestamp"],
                    "total_ask_size": msg["total_ask_size"],
                    "total_bid_size": msg["total_bid_size"],
                    "orderbook_units": msg["orderbook_units"],
                    "level": 0,
                }
            )
        return json_response(rows)

    async def candles_seconds(self, request: web.Request) -> web.Response:
        """``GET /v1/candles/seconds?market=&count=&to=``: the last 3 months only."""
        m = self._market(request)
        now = _now_s()
        kept = now - SECONDS_KEPT_MS
        rows = [
            candle_fields(m, self.seed, c, now)
            for c in await self._candles(m, "1s", request, now)
            if c.open_ms >= kept
        ]
        return json_response(rows)

    async def candles_minutes(self, request: web.Request) -> web.Response:
        """``GET /v1/candles/minutes/{unit}?market=&count=&to=``, unit 1/3/5/10/15/30/60/240."""
        try:
            unit = int(request.match_info["unit"])
        except ValueError:
            raise mistyped() from None
        if unit not in MINUTE_UNITS:
            raise invalid()
        m = self._market(request)
        now = _now_s()
        rows = [
            {**candle_fields(m, self.seed, c, now), "unit": unit}
            for c in await self._candles(m, f"{unit}m", request, now)
        ]
        return json_response(rows)

    async def candles_days(self, request: web.Request) -> web.Response:
        """``GET /v1/candles/days?market=&count=&to=&converting_price_unit=`` (UTC days).

        ``prev_closing_price`` is the close of the UTC day before (the day's open: the path is
        continuous); ``change_price`` and ``change_rate`` are signed. ``converting_price_unit=KRW``
        adds ``converted_trade_price``: the close in KRW through ``KRW-<quote>``, null on a KRW
        market (or a quote the sim lists no KRW market for).
        """
        m = self._market(request)
        unit = request.query.get("converting_price_unit") or request.query.get(
            "convertingPriceUnit"
        )
        if unit is not None and unit.upper() != "KRW":
            raise invalid()
        now = _now_s()
        rows = []
        for c in await self._candles(m, "1d", request, now):
            row = candle_fields(m, self.seed, c, now)
            prev = c.open
            row["prev_closing_price"] = m.price_float(prev)
            row["change_price"] = m.price_float(c.close - prev)
            row["change_rate"] = round((c.close - prev) / prev, 10) if prev else 0.0
            if unit is not None:
                row["converted_trade_price"] = self._in_krw(m, c, now)
            rows.append(row)
        return json_response(rows)

    async def candles_weeks(self, request: web.Request) -> web.Response:
        """``GET /v1/candles/weeks?market=&count=&to=``: weeks open on Monday 00:00 UTC."""
        return await self._period_candles(request, "1w")

    async def candles_months(self, request: web.Request) -> web.Response:
        """``GET /v1/candles/months?market=&count=&to=``: calendar months, UTC."""
        return await self._period_candles(request, "1M")

    async def candles_years(self, request: web.Request) -> web.Response:
        """``GET /v1/candles/years?market=&count=&to=``: calendar years, UTC."""
        return await self._period_candles(request, YEAR)

    async def trades_ticks(self, request: web.Request) -> web.Response:
        """``GET /v1/trades/ticks?market=&count=&to=&cursor=&days_ago=``, newest first.

        The trades of one UTC day, ``days_ago`` (1..7, also spelled ``daysAgo``) days back or
        today: before ``to`` (``HHmmss`` or ``HH:mm:ss``, UTC, exclusive) and before the trade
        whose ``sequential_id`` is ``cursor``; at most 500 (default 1).
        """
        m = self._market(request)
        count = self._count(request, MOST_TICKS)
        days_ago = _int_param(request, "days_ago", "daysAgo")
        if days_ago is not None and days_ago not in DAYS_AGO:
            raise invalid()
        cursor = _int_param(request, "cursor")
        now = _now_s()
        day = now - now % DAY_MS - (days_ago or 0) * DAY_MS
        end = min(day + DAY_MS, now)
        to = request.query.get("to")
        if to:
            end = min(end, day + parse_hms(to))
        ticks = ticks_before(m, self.seed, end, day, count, cursor)
        prev = price_ticks_at(m, self.seed, day)
        return json_response([trade_tick(m, t, prev) for t in ticks])

    async def _period_candles(self, request: web.Request, interval: str) -> web.Response:
        m = self._market(request)
        now = _now_s()
        rows = [
            {**candle_fields(m, self.seed, c, now), "first_day_of_period": _date(c.open_ms)}
            for c in await self._candles(m, interval, request, now)
        ]
        return json_response(rows)

    async def _candles(
        self, m: Market, interval: str, request: web.Request, now: int
    ) -> list[Candle]:
        """``count`` candles opening before ``to`` (at most ``now``), newest first."""
        count = self._count(request, MOST_CANDLES)
        end = min(parse_to(request.query.get("to")), now)
        out: list[Candle] = []
        t = _open(interval, end - 1)
        while len(out) < count:
            out.append(candle(m, self.seed, t, _next(interval, t), now))
            await asyncio.sleep(0)  # a month of cold history takes a while: let streams run
            t = _open(interval, t - 1)
        return out

    def _in_krw(self, m: Market, c: Candle, now: int) -> float | None:
        """A day's close in KRW through ``KRW-<quote>``'s close of the same day."""
        krw = self.markets.get(f"KRW-{m.quote}")
        if m.quote == "KRW" or krw is None:
            return None
        rate = candle(krw, self.seed, c.open_ms, c.close_ms, now).close
        return round(m.price_float(c.close) * krw.price_float(rate), 8)
