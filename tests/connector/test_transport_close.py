"""Closing a connection whose peer stopped reading must end, not wait on TCP for minutes.

A graceful close first sends what is still buffered; a peer that has stopped reading (hung, or
gone without a reset) never takes it, and the close waited as long as the kernel kept the
socket: a stream that never stops on Ctrl-C, and a CI run that timed out in
``test_resubscribing_many_symbols_stays_under_the_inbound_limit``'s shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from letrade_cli.bench.ingest.server import handshake_response
from letrade_cli.connector.transport import available_backends, open_websocket


@pytest.fixture
async def deaf_peer() -> AsyncIterator[str]:
    """A WebSocket server that answers the handshake, then never reads another byte."""
    held: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(handshake_response(await reader.readuntil(b"\r\n\r\n")))
        await writer.drain()
        writer.transport.pause_reading()  # from here on the client's bytes pile up
        held.append(writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        for writer in held:
            writer.transport.abort()
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("backend", available_backends())
async def test_close_ends_when_the_peer_has_stopped_reading(deaf_peer: str, backend: str) -> None:
    conn = await open_websocket(deaf_peer, lambda frame, ns: None, backend=backend)
    chunk = "x" * 1_000_000
    sends = 0
    async with asyncio.timeout(30):
        while sends < 64:  # far beyond what both kernels' buffers hold: the rest stays queued
            send = asyncio.ensure_future(conn.send_text(chunk))
            done, _ = await asyncio.wait({send}, timeout=0.5)
            if not done:  # a backend that waits for the buffer to drain: it never will
                send.cancel()
                break
            sends += 1
    async with asyncio.timeout(15):  # the old close waited for the kernel's TCP timeout
        await conn.close()
    assert conn.closed.done()
