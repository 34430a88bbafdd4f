"""Binance spot REST market data, with request weights and Binance's error bodies.

Endpoints: ping, time, exchangeInfo, ticker/price, ticker/bookTicker, ticker/24hr, avgPrice,
depth, klines (every Binance interval, 1s to 1M), uiKlines, trades, historicalTrades, aggTrades.

Every answer carries ``X-MBX-USED-WEIGHT-1M``; past the per-minute limit the answer is 429 with
``Retry-After``, and a banned IP gets 418 (:mod:`.rate_limits`). Errors look like
``{"code":-1121,"msg":"Invalid symbol."}`` with HTTP 400.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

import orjson
from aiohttp import web

from letrade_cli.sim.candles import candles_before, candles_between, candles_ending
from letrade_cli.sim.config import SimConfig
from letrade_cli.sim.generator import MarketEngine
from letrade_cli.sim.markets import Market, e8_str
from letrade_cli.venues.binance.sim.depth_diff import DepthDiffs
from letrade_cli.venues.binance.sim.format import decimal_str, ticker_24h
from letrade_cli.venues.binance.sim.rate_limits import BinanceLimits, WeightMeter, limit_entry
from letrade_cli.venues.binance.sim.trade_tape import TradeTape

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

INTERVALS_MS: dict[str, int] = {
    "1s": 1_000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
}
INTERVALS: frozenset[str] = frozenset([*INTERVALS_MS, "1w", "1M"])
SYMBOLS_RE = re.compile(r'^\[("[A-Z0-9\-_.]{1,20}"(,"[A-Z0-9\-_.]{1,20}")*)?\]$')


class BinanceApiError(Exception):
    """An error answer: Binance code, message, HTTP status and (cancel-replace) a ``data``."""

    def __init__(self, code: int, msg: str, status: int = 400, data: Any = None) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status
        self.data = data


def json_response(body: Any, status: int = 200) -> web.Response:
    """A JSON answer (orjson), as both the market-data and the order routes send it."""
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _depth_weight(limit: int) -> int:
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


class BinanceRest:
    """The Binance REST routes of the sim."""

    def __init__(
        self,
        engine: MarketEngine,
        markets: dict[str, Market],
        seed: int,
        weight_limit: int,
        tape: TradeTape | None = None,
        depth_diffs: DepthDiffs | None = None,
        limits: BinanceLimits | None = None,
    ) -> None:
        self.tape = tape or TradeTape()
        self.depth_diffs = depth_diffs or DepthDiffs()
        self.engine = engine
        self.markets = markets
        self.seed = seed
        self.limits = limits or BinanceLimits(SimConfig(weight_limit_per_min=weight_limit))
        self.meter: WeightMeter = self.limits.meter

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes, each wrapped with weight accounting and error mapping."""
        table: list[tuple[str, Handler, Callable[[web.Request], int]]] = [
            ("/api/v3/ping", self.ping, lambda r: 1),
            ("/api/v3/time", self.time, lambda r: 1),
            ("/api/v3/exchangeInfo", self.exchange_info, lambda r: 20),
            ("/api/v3/ticker/price", self.ticker_price, _multi_weight(2, 4)),
            ("/api/v3/ticker/bookTicker", self.book_ticker, _multi_weight(2, 4)),
            ("/api/v3/ticker/24hr", self.ticker_24hr, _multi_weight(2, 80)),
            ("/api/v3/depth", self.depth, lambda r: _depth_weight(_int_or(r, "limit", 100))),
            ("/api/v3/klines", self.klines, lambda r: 2),
            ("/api/v3/uiKlines", self.klines, lambda r: 2),
            ("/api/v3/avgPrice", self.avg_price, lambda r: 2),
            ("/api/v3/trades", self.trades, lambda r: 25),
            ("/api/v3/historicalTrades", self.trades, lambda r: 25),
            ("/api/v3/aggTrades", self.agg_trades, lambda r: 4),
        ]
        return [web.get(path, self._wrap(h, w)) for path, h, w in table]

    def _wrap(self, handler: Handler, weight: Callable[[web.Request], int]) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                cost = weight(request)
            except BinanceApiError:
                cost = 1
            refused = self.limits.weigh(cost)
            resp: web.StreamResponse
            if refused is not None:
                resp = refused.rest()
            else:
                try:
                    resp = await handler(request)
                except BinanceApiError as exc:
                    resp = json_response({"code": exc.code, "msg": exc.msg}, status=exc.status)
            resp.headers[self.meter.header] = str(self.meter.used)
            return resp

        return wrapped

    def _feed_top(self, sym: str) -> tuple[int, int, int, int]:
        feed = self.engine.feed(sym, _now_ms())
        top = feed.book.top()
        assert top is not None
        return top

    def _symbols(self, request: web.Request) -> list[str] | None:
        """The ``symbol=``/``symbols=`` of a request, validated; None means every symbol."""
        return self.symbols_param(request.query)

    def symbols_param(self, q: Mapping[str, str]) -> list[str] | None:
        """``symbol`` / ``symbols`` (a JSON array) among ``q``, validated; None: every symbol."""
        if "symbol" in q and "symbols" in q:
            raise BinanceApiError(-1128, "Combination of optional parameters invalid.")
        if "symbol" in q:
            sym = q["symbol"].upper()
            if sym not in self.markets:
                raise BinanceApiError(-1121, "Invalid symbol.")
            return [sym]
        if "symbols" in q:
            raw = q["symbols"].replace(" ", "")
            if not SYMBOLS_RE.match(raw):
                raise BinanceApiError(
                    -1100,
                    "Illegal characters found in parameter 'symbols'; legal range is "
                    '\'^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$\'.',
                )
            syms = [str(s) for s in orjson.loads(raw)]
            if not syms or any(s not in self.markets for s in syms):
                raise BinanceApiError(-1121, "Invalid symbol.")
            return syms
        return None

    def _required_symbol(self, request: web.Request) -> str:
        syms = self._symbols(request)
        if not syms or len(syms) != 1 or "symbol" not in request.query:
            raise BinanceApiError(
                -1102,
                "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
            )
        return syms[0]

    async def ping(self, request: web.Request) -> web.Response:
        """``GET /api/v3/ping`` -> ``{}``."""
        return json_response({})

    async def time(self, request: web.Request) -> web.Response:
        """``GET /api/v3/time`` -> ``{"serverTime": ms}``."""
        return json_response({"serverTime": _now_ms()})

    async def exchange_info(self, request: web.Request) -> web.Response:
        """``GET /api/v3/exchangeInfo`` (``symbol=``, ``symbols=`` or all)."""
        return json_response(self.exchange_info_body(request.query))

    def exchange_info_body(self, q: Mapping[str, str]) -> dict[str, Any]:
        """ExchangeInfo's answer for the ``symbol`` / ``symbols`` in ``q`` (REST and WS API)."""
        syms = self.symbols_param(q) or list(self.markets)
        return {
            "timezone": "UTC",
            "serverTime": _now_ms(),
            "rateLimits": [
                limit_entry("REQUEST_WEIGHT", self.meter.window.window_s, self.meter.limit),
                *self.limits.orders.limit_entries(),
                {
                    "rateLimitType": "RAW_REQUESTS",
                    "interval": "MINUTE",
                    "intervalNum": 5,
                    "limit": 61000,
                },
            ],
            "exchangeFilters": [],
            "symbols": [symbol_info(self.markets[s]) for s in syms],
        }

    async def ticker_price(self, request: web.Request) -> web.Response:
        """``GET /api/v3/ticker/price``."""
        syms = self._symbols(request)
        rows = []
        for s in syms or self.markets:
            feed = self.engine.feed(s, _now_ms())
            rows.append({"symbol": s, "price": feed.market.price_str(feed.last_price)})
        return json_response(rows[0] if syms and "symbol" in request.query else rows)

    async def book_ticker(self, request: web.Request) -> web.Response:
        """``GET /api/v3/ticker/bookTicker``."""
        syms = self._symbols(request)
        rows = []
        for s in syms or self.markets:
            m = self.markets[s]
            b, bq, a, aq = self._feed_top(s)
            rows.append(
                {
                    "symbol": s,
                    "bidPrice": m.price_str(b),
                    "bidQty": m.qty_str(bq),
                    "askPrice": m.price_str(a),
                    "askQty": m.qty_str(aq),
                }
            )
        return json_response(rows[0] if syms and "symbol" in request.query else rows)

    async def ticker_24hr(self, request: web.Request) -> web.Response:
        """``GET /api/v3/ticker/24hr``."""
        syms = self._symbols(request)
        now = _now_ms()
        rows = []
        for s in syms or self.markets:
            t = ticker_24h(self.engine.feed(s, now), self.seed, now)
            rows.append(
                {
                    "symbol": s,
                    "priceChange": t["p"],
                    "priceChangePercent": t["P"],
                    "weightedAvgPrice": t["w"],
                    "prevClosePrice": t["x"],
                    "lastPrice": t["c"],
                    "lastQty": t["Q"],
                    "bidPrice": t["b"],
                    "bidQty": t["B"],
                    "askPrice": t["a"],
                    "askQty": t["A"],
                    "openPrice": t["o"],
                    "highPrice": t["h"],
                    "lowPrice": t["l"],
                    "volume": t["v"],
                    "quoteVolume": t["q"],
                    "openTime": t["O"],
                    "closeTime": t["C"],
                    "firstId": t["F"],
                    "lastId": t["L"],
                    "count": t["n"],
                }
            )
        return json_response(rows[0] if syms and "symbol" in request.query else rows)

    async def depth(self, request: web.Request) -> web.Response:
        """``GET /api/v3/depth?symbol=&limit=``."""
        sym = self._required_symbol(request)
        limit = _int_or(request, "limit", 100)
        if not 1 <= limit <= 5000:
            raise BinanceApiError(-1100, "Illegal characters found in parameter 'limit'.")
        m = self.markets[sym]
        boundary = self.depth_diffs.boundary.get(sym)
        if boundary is not None:  # in step with the @depth@100ms diffs (see sim.depth_diff)
            update_id, bids, asks = boundary[0], boundary[1][:limit], boundary[2][:limit]
        else:
            book = self.engine.feed(sym, _now_ms()).book
            bids, asks = book.depth(limit)
            update_id = book.update_id
        return json_response(
            {
                "lastUpdateId": update_id,
                "bids": [[m.price_str(p), m.qty_str(q)] for p, q in bids],
                "asks": [[m.price_str(p), m.qty_str(q)] for p, q in asks],
            }
        )

    async def klines(self, request: web.Request) -> web.Response:
        """``GET /api/v3/klines?symbol=&interval=&limit=&startTime=&endTime=``."""
        sym = self._required_symbol(request)
        interval = request.query.get("interval")
        if interval is None:
            raise BinanceApiError(
                -1102,
                "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.",
            )
        if interval not in INTERVALS:
            raise BinanceApiError(-1120, "Invalid interval.")
        limit = min(max(_int_or(request, "limit", 500), 1), 1000)
        now = _now_ms()
        start = _int_or(request, "startTime", -1)
        end = min(_int_or(request, "endTime", now), now)
        m = self.markets[sym]
        if start >= 0:
            candles = candles_between(m, self.seed, interval, start, end, limit, now)
        else:
            candles = candles_ending(m, self.seed, interval, end, limit, now)
        rows = [
            [
                c.open_ms,
                m.price_str(c.open),
                m.price_str(c.high),
                m.price_str(c.low),
                m.price_str(c.close),
                m.qty_str(c.volume),
                c.close_ms - 1,
                e8_str(c.quote_e8),
                c.trades,
                m.qty_str(c.taker_buy_volume),
                e8_str(c.taker_buy_quote_e8),
                "0",
            ]
            for c in candles
        ]
        return json_response(rows)

    async def avg_price(self, request: web.Request) -> web.Response:
        """``GET /api/v3/avgPrice?symbol=``: the volume-weighted price of the last 5 minutes."""
        sym = self._required_symbol(request)
        now = _now_ms()
        m = self.markets[sym]
        candles = candles_before(m, self.seed, 60_000, now, 5)
        volume = sum(c.volume for c in candles)
        total = Decimal(0)
        for c in candles:
            total += Decimal(m.price_str(c.close)) * c.volume
        if volume:
            price = total / volume
        else:
            price = Decimal(m.price_str(self.engine.feed(sym, now).last_price))
        return json_response({"mins": 5, "price": decimal_str(price), "closeTime": now})

    async def trades(self, request: web.Request) -> web.Response:
        """``GET /api/v3/trades`` and ``/api/v3/historicalTrades`` (``fromId=``), oldest first."""
        sym = self._required_symbol(request)
        limit = _limit(request, 500, 1000)
        from_id = (
            _int_or(request, "fromId", -1) if request.path.endswith("historicalTrades") else -1
        )
        m = self.markets[sym]
        rows = [
            {
                "id": ev[2],
                "price": m.price_str(ev[3]),
                "qty": m.qty_str(ev[4]),
                "quoteQty": decimal_str(Decimal(m.price_str(ev[3])) * Decimal(m.qty_str(ev[4]))),
                "time": ev[1],
                "isBuyerMaker": bool(ev[5]),
                "isBestMatch": True,
            }
            for ev in self.tape.recent_trades(sym, limit, from_id if from_id >= 0 else None)
        ]
        return json_response(rows)

    async def agg_trades(self, request: web.Request) -> web.Response:
        """``GET /api/v3/aggTrades?symbol=&fromId=&startTime=&endTime=&limit=``, oldest first."""
        sym = self._required_symbol(request)
        limit = _limit(request, 500, 1000)
        from_id = _int_or(request, "fromId", -1)
        start = _int_or(request, "startTime", -1)
        end = _int_or(request, "endTime", -1)
        m = self.markets[sym]
        rows = [
            {
                "a": ev[2],
                "p": m.price_str(ev[3]),
                "q": m.qty_str(ev[4]),
                "f": ev[5],
                "l": ev[6],
                "T": ev[1],
                "m": bool(ev[7]),
                "M": True,
            }
            for ev in self.tape.recent_aggs(
                sym,
                limit,
                from_id if from_id >= 0 else None,
                start if start >= 0 else None,
                end if end >= 0 else None,
            )
        ]
        return json_response(rows)


def _limit(request: web.Request, default: int, most: int) -> int:
    limit = _int_or(request, "limit", default)
    if not 1 <= limit <= most:
        raise BinanceApiError(-1100, "Illegal characters found in parameter 'limit'.")
    return limit


def symbol_info(m: Market) -> dict[str, Any]:
    """One ``symbols[]`` entry of exchangeInfo, filters spelled as Binance spells them."""
    return {
        "symbol": m.symbol,
        "status": "TRADING",
        "baseAsset": m.base,
        "baseAssetPrecision": 8,
        "quoteAsset": m.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": [
            "LIMIT",
            "LIMIT_MAKER",
            "MARKET",
            "STOP_LOSS",
            "STOP_LOSS_LIMIT",
            "TAKE_PROFIT",
            "TAKE_PROFIT_LIMIT",
        ],
        "icebergAllowed": False,
        "ocoAllowed": True,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": decimal_str(m.tick),
                "maxPrice": decimal_str(m.tick * 10**7 if m.tick < 1 else m.tick * 10**4),
                "tickSize": decimal_str(m.tick),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": decimal_str(m.step),
                "maxQty": "9000000.00000000",
                "stepSize": decimal_str(m.step),
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": decimal_str(m.min_notional),
                "applyMinToMarket": True,
                "maxNotional": "9000000.00000000",
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {
                "filterType": "TRAILING_DELTA",
                "minTrailingAboveDelta": 10,
                "maxTrailingAboveDelta": 2000,
                "minTrailingBelowDelta": 10,
                "maxTrailingBelowDelta": 2000,
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def _int_or(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BinanceApiError(
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.",
        ) from None


def _multi_weight(single: int, many: int) -> Callable[[web.Request], int]:
    def weight(request: web.Request) -> int:
        return single if "symbol" in request.query else many

    return weight
