"""Binance depth streams: partial books (``depth5/10/20``) and diffs (``depth``, ``depth@100ms``).

A diff carries every level whose quantity changed since the previous diff of that symbol and
speed (quantity ``"0"``: the level is gone), with ``U`` = previous ``u`` + 1 and ``u`` = the
book's update id now, so a client can keep a local book in sync the way Binance documents:
buffer diffs, fetch ``GET /api/v3/depth`` (its ``lastUpdateId``), drop diffs with
``u <= lastUpdateId``, apply from the one with ``U <= lastUpdateId + 1 <= u``.

Diffs compare snapshots, so a level that changed and changed back within one interval does not
appear; to keep that exact, ``/api/v3/depth`` serves a symbol with a 100 ms diff subscription
from the snapshot of its latest diff (at most 100 ms old, ``lastUpdateId`` = that diff's ``u``).
"""

from __future__ import annotations

from typing import Any

from letrade_cli.sim.markets import Market
from letrade_cli.sim.orderbook import OrderBook

DIFF_LEVELS = 1000
PARTIAL = {"depth5": 5, "depth10": 10, "depth20": 20}

Levels = dict[int, int]


class DepthDiffs:
    """Per (symbol, speed) the last book sent; per symbol the last 100 ms boundary snapshot."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], tuple[int, Levels, Levels]] = {}
        self.boundary: dict[str, tuple[int, list[tuple[int, int]], list[tuple[int, int]]]] = {}

    def forget(self, live: set[tuple[str, str]]) -> None:
        """Drop the state of (symbol, speed) pairs nobody subscribes to any more."""
        for key in [k for k in self._last if k not in live]:
            del self._last[key]
            if key[1] == "100ms":
                self.boundary.pop(key[0], None)

    def diff(
        self, sym: str, speed: str, market: Market, book: OrderBook, now_ms: int
    ) -> dict[str, Any] | None:
        """The ``depthUpdate`` since the previous call for (sym, speed); None if nothing moved."""
        bids_now, asks_now = book.depth(DIFF_LEVELS)
        u = book.update_id
        bids, asks = dict(bids_now), dict(asks_now)
        if speed == "100ms":
            self.boundary[sym] = (u, bids_now, asks_now)
        prev = self._last.get((sym, speed))
        self._last[(sym, speed)] = (u, bids, asks) if prev is None or u != prev[0] else prev
        if prev is None or u == prev[0]:
            return None
        prev_u, prev_bids, prev_asks = prev
        return {
            "e": "depthUpdate",
            "E": now_ms,
            "s": sym,
            "U": prev_u + 1,
            "u": u,
            "b": _changes(market, prev_bids, bids),
            "a": _changes(market, prev_asks, asks),
        }


def partial(market: Market, book: OrderBook, levels: int) -> dict[str, Any]:
    """``{"lastUpdateId", "bids", "asks"}`` of the top ``levels``."""
    bids, asks = book.depth(levels)
    return {
        "lastUpdateId": book.update_id,
        "bids": [[market.price_str(p), market.qty_str(q)] for p, q in bids],
        "asks": [[market.price_str(p), market.qty_str(q)] for p, q in asks],
    }


def _changes(market: Market, before: Levels, after: Levels) -> list[list[str]]:
    out = [[market.price_str(p), market.qty_str(q)] for p, q in after.items() if before.get(p) != q]
    out += [[market.price_str(p), "0.00000000"] for p in before if p not in after]
    return out
