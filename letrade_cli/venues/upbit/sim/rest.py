"""Upbit quotation REST: market list, ticker, orderbook and candles (minutes, days).

Candles come from the deterministic history (:mod:`letrade_cli.sim.candles`), so the same
request with the same ``to`` always returns the same bytes. Errors look like Upbit's:
``{"error":{"name":"404","message":"Code not found"}}``. Each route counts in its request group
(``Remaining-Req``, 429, 418: :mod:`.rate_limits`).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiohttp import web

from letrade_cli.sim.candles import Candle, candles_before
from letrade_cli.sim.config import SimConfig
from letrade_cli.sim.generator import MarketEngine
from letrade_cli.sim.markets import Market
from letrade_cli.venues.upbit.sim.format import orderbook_msg, ticker_fields
from letrade_cli.venues.upbit.sim.markets import UPBIT_NAMES
from letrade_cli.venues.upbit.sim.rate_limits import UpbitLimits

MINUTE_UNITS = (1, 3, 5, 10, 15, 30, 60, 240)
DAY_MS = 86_400_000
KST = timedelta(hours=9)


class UpbitApiError(Exception):
    """An Upbit error answer."""

    def __init__(self, status: int, name: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.name = name
        self.message = message


def json_response(body: Any, status: int = 200) -> web.Response:
    """A JSON answer (orjson), as both the quotation and the exchange routes send it."""
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def parse_to(raw: str | None) -> int:
    """Upbit's ``to`` (exclusive end; ISO 8601 or ``yyyy-MM-dd HH:mm:ss``, UTC unless offset)."""
    if not raw:
        return _now_ms() + 1
    text = raw.strip().replace(" ", "T").replace("Z", "+00:00")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise UpbitApiError(400, "validation_error", f"invalid 'to': {raw}") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return int(at.timestamp() * 1000)


def _iso(ms: int, offset: timedelta = timedelta(0)) -> str:
    return (datetime.fromtimestamp(ms / 1000, UTC) + offset).strftime("%Y-%m-%dT%H:%M:%S")


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
        return [
            web.get("/v1/market/all", self._wrap(self.market_all, "market")),
            web.get("/v1/ticker", self._wrap(self.ticker, "ticker")),
            web.get("/v1/orderbook", self._wrap(self.orderbook, "orderbook")),
            web.get("/v1/candles/minutes/{unit}", self._wrap(self.candles_minutes, "candles")),
            web.get("/v1/candles/days", self._wrap(self.candles_days, "candles")),
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
            raise UpbitApiError(400, "validation_error", "markets is missing")
        if any(c not in self.markets for c in codes):
            raise UpbitApiError(404, "404", "Code not found")
        return codes

    def _market(self, request: web.Request) -> Market:
        code = request.query.get("market", "").upper()
        if not code:
            raise UpbitApiError(400, "validation_error", "market is missing")
        m = self.markets.get(code)
        if m is None:
            raise UpbitApiError(404, "404", "Code not found")
        return m

    def _count(self, request: web.Request) -> int:
        try:
            count = int(request.query.get("count", "1"))
        except ValueError:
            raise UpbitApiError(400, "validation_error", "count must be an integer") from None
        if not 1 <= count <= 200:
            raise UpbitApiError(400, "validation_error", "count must be between 1 and 200")
        return count

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

    async def candles_minutes(self, request: web.Request) -> web.Response:
        """``GET /v1/candles/minutes/{unit}?market=&count=&to=`` (newest first)."""
        try:
            unit = int(request.match_info["unit"])
        except ValueError:
            unit = 0
        if unit not in MINUTE_UNITS:
            raise UpbitApiError(400, "validation_error", f"unit must be one of {MINUTE_UNITS}")
        m = self._market(request)
        rows = [
            {**self._candle(m, c), "unit": unit} for c in self._candles(m, unit * 60_000, request)
        ]
        return json_response(rows)

    async def candles_days(self, request: web.Request) -> web.Response:
        """``GET /v1/candles/days?market=&count=&to=`` (newest first)."""
        m = self._market(request)
        rows = []
        for c in self._candles(m, DAY_MS, request):
            row = self._candle(m, c)
            prev = c.open
            row["prev_closing_price"] = m.price_float(prev)
            row["change_price"] = m.price_float(c.close - prev)
            row["change_rate"] = round((c.close - prev) / prev, 10) if prev else 0.0
            rows.append(row)
        return json_response(rows)

    def _candles(self, m: Market, step: int, request: web.Request) -> list[Candle]:
        count = self._count(request)
        end = min(parse_to(request.query.get("to")), _now_ms() + 1)
        return list(reversed(candles_before(m, self.seed, step, end - 1, count)))

    def _candle(self, m: Market, c: Candle) -> dict[str, Any]:
        return {
            "market": m.symbol,
            "candle_date_time_utc": _iso(c.open_ms),
            "candle_date_time_kst": _iso(c.open_ms, KST),
            "opening_price": m.price_float(c.open),
            "high_price": m.price_float(c.high),
            "low_price": m.price_float(c.low),
            "trade_price": m.price_float(c.close),
            "timestamp": c.close_ms - 1 - (c.trades * 7919) % max(1, (c.close_ms - c.open_ms) // 2),
            "candle_acc_trade_price": c.quote_e8 / 1e8,
            "candle_acc_trade_volume": m.qty_float(c.volume),
        }
