"""Waiting for an order's fills, and the ack→fill time when no stamps of ours exist.

``FillRecorder`` is an ``OrderListener`` that keeps every fill per client id and wakes whoever
waits on an order. ``wait_fill`` waits for one order to stop being open: pushed updates (the
venue's private stream) wake it at once; when the venue pushes nothing (no stream, or it is
down) the order is read every ``poll_s`` instead. Before it gives up it reads the order once
more, so "not filled" is what the venue says, not what a late push left out::

    recorder = FillRecorder()
    manager.add_listener(recorder)
    state = await manager.submit(intent)
    state, filled = await wait_fill(manager, recorder, state, timeout_s=30.0)

``venue_ack_to_fill_ms`` derives ack→fill from the venue's own clock (the order's creation
time to its first fill's time) for an order placed by another process (``trade status``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from letrade_cli.core.orders import Fill, OrderState, OrderStatus

DEFAULT_POLL_S = 1.0


class FillRecorder:
    """An ``OrderListener`` keeping each order's fills (once per trade id) and latest state."""

    def __init__(self) -> None:
        self.fills: dict[str, list[Fill]] = {}
        self.states: dict[str, OrderState] = {}
        self._seen: set[tuple[str, str]] = set()
        self._changed = asyncio.Event()

    def __call__(self, state: OrderState, fill: Fill | None) -> None:
        """Record an update (called by the order manager for every update and fill)."""
        self.states[state.client_order_id] = state
        if fill is not None:
            key = (fill.client_order_id, fill.trade_id)
            if not fill.trade_id or key not in self._seen:
                self._seen.add(key)
                self.fills.setdefault(fill.client_order_id, []).append(fill)
        self._changed.set()

    def of(self, client_order_id: str) -> list[Fill]:
        """The fills seen for one order, in arrival order."""
        return list(self.fills.get(client_order_id, ()))

    async def changed(self, timeout_s: float) -> None:
        """Return at the next update, or after ``timeout_s``."""
        self._changed.clear()
        try:
            async with asyncio.timeout(max(0.0, timeout_s)):
                await self._changed.wait()
        except TimeoutError:
            pass


def stream_is_up(venue: Any) -> bool:
    """Whether the venue pushes order updates now (its private stream is ``up``)."""
    return getattr(venue, "stream_state", "off") == "up"


async def wait_fill(
    manager: Any,
    recorder: FillRecorder,
    state: OrderState,
    *,
    timeout_s: float,
    poll_s: float = DEFAULT_POLL_S,
) -> tuple[OrderState, bool]:
    """Wait until the order is no longer open or ``timeout_s`` passes.

    Returns:
        The order's latest state and whether it is fully filled.
    """
    cid, symbol = state.client_order_id, state.symbol
    deadline = time.monotonic() + max(0.0, timeout_s)
    latest = recorder.states.get(cid, state)
    while latest.status.is_open:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        await recorder.changed(min(left, poll_s))  # re-check the stream's state each poll_s
        latest = recorder.states.get(cid, latest)
        nothing_pushed = not stream_is_up(manager.venue)
        if latest.status.is_open and nothing_pushed and deadline - time.monotonic() > 0:
            latest = await manager.status(symbol, cid)  # read it instead
    if latest.status.is_open:  # one last read: the venue's word, not a push that was late
        latest = await manager.status(symbol, cid)
    if latest.latency is not state.latency and not latest.latency.ack_ns:
        latest.latency = state.latency  # a state read back carries no stamps of ours
    return latest, latest.status is OrderStatus.FILLED


def venue_ack_to_fill_ms(state: OrderState, fills: list[Fill]) -> float | None:
    """The order's creation (working) time to its first fill, on the venue's clock (ms)."""
    times = [f.ts_ms for f in fills if f.ts_ms]
    if not times or not state.created_ms:
        return None
    return float(max(0, min(times) - state.created_ms))
