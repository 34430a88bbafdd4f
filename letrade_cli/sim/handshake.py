"""Accepting a WebSocket upgrade when the client may already have gone away."""

from __future__ import annotations

from aiohttp import web


async def accept(ws: web.WebSocketResponse, request: web.Request) -> bool:
    """Send the upgrade answer; False when the client left during the handshake.

    A client that disconnects mid-handshake (a Ctrl-C right after connecting) is normal for an
    exchange: the connection is dropped quietly instead of aiohttp logging a traceback.
    """
    try:
        await ws.prepare(request)
    except ConnectionResetError:
        return False
    return True


def gone() -> web.Response:
    """What a handler returns for a client that left mid-handshake (never actually sent)."""
    return web.Response(status=499, text="client closed the connection")
