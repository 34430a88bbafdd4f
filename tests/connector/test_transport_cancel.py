"""A connect that is cancelled must stay cancelled, whatever moment the cancellation lands on.

Python 3.11's ``asyncio.wait_for`` lost a cancellation that arrived in the loop turn where the
handshake completed: the connect returned a live connection to a task told to stop, and a
Ctrl-C during start-up left ``letrade stream`` running. The sweep below cancels after every
possible number of loop turns, so one of them lands on that turn.
"""

from __future__ import annotations

import asyncio

import pytest

from letrade_cli.connector.transport import available_backends, open_websocket
from letrade_cli.sim.server import SimExchange

TURNS = 120  # loop turns a loopback connect takes here, with room to spare


@pytest.mark.parametrize("backend", available_backends())
async def test_cancelled_connect_never_returns_a_connection(sim: SimExchange, backend: str) -> None:
    completed_before_cancel = 0
    for turns in range(TURNS):
        task = asyncio.ensure_future(
            open_websocket(sim.ws_url + "/stream", lambda frame, ns: None, backend=backend)
        )
        for _ in range(turns):
            await asyncio.sleep(0)
        asked = task.cancel()
        async with asyncio.timeout(10):
            await asyncio.wait({task})
        if not task.cancelled():
            await task.result().close()  # connected before we asked, or the cancellation was lost
        if asked:
            assert task.cancelled(), f"cancelled after {turns} turns, yet the connect returned"
        else:
            completed_before_cancel += 1
    assert completed_before_cancel, "every connect was cancelled: raise TURNS to cover a whole one"
