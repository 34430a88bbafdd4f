"""Binance user data stream on ``/ws/<listenKey>``: executionReport, outboundAccountPosition.

A listen key comes from ``POST /api/v3/userDataStream``
(:mod:`letrade_cli.venues.binance.sim.orders`). Every change of a Binance user order (new, trade,
canceled, expired) is pushed to every connection of a valid key as an ``executionReport``
followed by an ``outboundAccountPosition`` with the balances of the symbol's two assets, in
Binance's field names::

    {"e":"executionReport","E":1499405658658,"s":"BTCUSDT","c":"my-1","S":"BUY","o":"LIMIT",
     "f":"GTC","q":"0.01000000","p":"60000.00000000","x":"TRADE","X":"FILLED","i":10001,
     "l":"0.01000000","z":"0.01000000","L":"60000.00000000","n":"0.00001000","N":"BTC",...}
    {"e":"outboundAccountPosition","E":1499405658849,"u":1499405658848,
     "B":[{"a":"BTC","f":"1.00999000","l":"0.00000000"},{"a":"USDT","f":"...","l":"..."}]}
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from letrade_cli.sim.handshake import accept, gone
from letrade_cli.sim.orders import CANCELED, OrderEngine, OrderUpdate, now_ms
from letrade_cli.venues.binance.sim.account import BINANCE
from letrade_cli.venues.binance.sim.order_format import d8
from letrade_cli.venues.binance.sim.orders import BinanceOrders

log = logging.getLogger("letrade.sim")


class UserStreams:
    """The open user-data-stream connections, fed by the order engine."""

    def __init__(self, engine: OrderEngine, binance: BinanceOrders) -> None:
        self.engine = engine
        self.binance = binance
        self.queues: dict[str, set[asyncio.Queue[bytes]]] = {}
        self.sockets: set[web.WebSocketResponse] = set()
        engine.listeners.append(self._on_update)

    def drop_all(self) -> int:
        """Abort every user-stream connection (no close handshake); returns how many."""
        n = 0
        for ws in list(self.sockets):
            transport = ws._req.transport if ws._req is not None else None
            if transport is not None:
                transport.abort()
                n += 1
        return n

    async def close_all(self) -> None:
        """Close every user-stream connection (the sim is stopping)."""
        for ws in list(self.sockets):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 1.0)

    def owns(self, path_tail: str) -> bool:
        """Whether ``/ws/<path_tail>`` names a valid listen key."""
        return self.binance.listen_key_valid(path_tail)

    async def handle(self, request: web.Request, key: str) -> web.StreamResponse:
        """Serve one user data stream connection until either side closes it."""
        ws = web.WebSocketResponse(autoping=True, heartbeat=None)
        if not await accept(ws, request):
            return gone()
        self.sockets.add(ws)
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.queues.setdefault(key, set()).add(queue)
        sender = asyncio.create_task(self._send(ws, queue), name="letrade-sim-user-stream")
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            self.sockets.discard(ws)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            conns = self.queues.get(key)
            if conns is not None:
                conns.discard(queue)
                if not conns:
                    del self.queues[key]
        return ws

    async def _send(self, ws: web.WebSocketResponse, queue: asyncio.Queue[bytes]) -> None:
        while True:
            payload = await queue.get()
            try:
                await ws.send_str(payload.decode())
            except (ConnectionError, RuntimeError):
                return

    def _on_update(self, update: OrderUpdate) -> None:
        if not self.queues or update.order.venue != BINANCE:
            return
        report = orjson.dumps(execution_report(update))
        position = orjson.dumps(self._position(update))
        for key, queues in list(self.queues.items()):
            if not self.binance.listen_key_valid(key):
                continue
            for q in queues:
                q.put_nowait(report)
                q.put_nowait(position)

    def _position(self, update: OrderUpdate) -> dict[str, Any]:
        account = self.engine.accounts[BINANCE]
        rows = []
        for asset in update.assets:
            h = account.holding(asset)
            rows.append({"a": asset, "f": d8(h.free), "l": d8(h.locked)})
        return {"e": "outboundAccountPosition", "E": now_ms(), "u": account.update_ms, "B": rows}


def execution_report(update: OrderUpdate) -> dict[str, Any]:
    """Binance's ``executionReport`` for one order update."""
    o = update.order
    t = update.trade
    canceled = update.exec_type == CANCELED
    zero = "0.00000000"
    return {
        "e": "executionReport",
        "E": now_ms(),
        "s": o.symbol,
        "c": f"sim-cancel-{o.order_id}" if canceled else o.client_id,
        "S": o.side,
        "o": o.type,
        "f": o.tif,
        "q": d8(o.orig_qty),
        "p": d8(o.price) if o.price is not None else zero,
        "P": zero,
        "F": zero,
        "g": -1,
        "C": o.client_id if canceled else "",
        "x": update.exec_type,
        "X": o.status,
        "r": "NONE",
        "i": o.order_id,
        "l": d8(t.qty) if t else zero,
        "z": d8(o.executed_qty),
        "L": d8(t.price) if t else zero,
        "n": d8(t.commission) if t else "0",
        "N": t.commission_asset if t else None,
        "T": update.time_ms,
        "t": t.trade_id if t else -1,
        "I": 0,
        "w": o.is_open,
        "m": t.is_maker if t else False,
        "M": False,
        "O": o.time_ms,
        "Z": d8(o.cum_quote),
        "Y": d8(t.quote_qty) if t else zero,
        "Q": d8(o.quote_qty),
        "W": o.time_ms,
        "V": "EXPIRE_MAKER",
    }
