"""A WebSocket API client written from Binance's docs (signing included), for the sim's tests."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import time
from typing import Any

import aiohttp
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

KEY = "letrade-sim-key"
SECRET = "letrade-sim-secret"
ED_KEY = "letrade-ed25519-key"


def payload(params: dict[str, Any]) -> str:
    """Binance's WS API signature payload, as its docs' Python example builds it."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "signature")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def hmac_signed(
    params: dict[str, Any], key: str = KEY, secret: str = SECRET, ts_offset_ms: int = 0
) -> dict[str, Any]:
    full = {**params, "apiKey": key, "timestamp": now_ms() + ts_offset_ms}
    full["signature"] = hmac.new(
        secret.encode(), payload(full).encode(), hashlib.sha256
    ).hexdigest()
    return full


def ed_signed(
    params: dict[str, Any], private: Ed25519PrivateKey, key: str = ED_KEY
) -> dict[str, Any]:
    full = {**params, "apiKey": key, "timestamp": now_ms()}
    full["signature"] = base64.b64encode(private.sign(payload(full).encode())).decode()
    return full


def public_pem(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


class WsApiClient:
    """Requests by id; event frames seen meanwhile are kept for :meth:`event`."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    async def send_raw(self, text: str) -> None:
        await self.ws.send_str(text)

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        rid = next(self._ids)
        req: dict[str, Any] = {"id": rid, "method": method}
        if params is not None:
            req["params"] = params
        await self.ws.send_str(orjson.dumps(req).decode())
        return await self.answer(rid)

    async def _frame(self) -> dict[str, Any]:
        msg = await self.ws.receive()
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        data: dict[str, Any] = orjson.loads(msg.data)
        return data

    async def answer(self, rid: Any, timeout: float = 10.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                data = await self._frame()
                if "event" in data:
                    self.events.append(data)
                elif data.get("id") == rid:
                    return data

    async def event(self, want: Any, timeout: float = 20.0) -> dict[str, Any]:
        """The first event frame (kept or new) for which ``want(frame)`` holds; it is consumed."""
        async with asyncio.timeout(timeout):
            while True:
                for i, ev in enumerate(self.events):
                    if want(ev):
                        return self.events.pop(i)
                data = await self._frame()
                if "event" in data:
                    self.events.append(data)
