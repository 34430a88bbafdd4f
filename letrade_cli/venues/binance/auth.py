"""Binance request signing: HMAC-SHA256 (hex) or Ed25519 (base64) over what is sent.

``SIGNED`` endpoints take ``timestamp`` (ms, corrected by the measured server offset) and
``recvWindow``; the signature is the hex HMAC of the query string as sent, and the API key goes
in ``X-MBX-APIKEY``. Every parameter is sent in the query string, for GET, POST and DELETE alike,
so what is signed is byte for byte what is sent. The WebSocket API signs its ``params`` sorted
by name (:func:`ws_api_payload`). Ed25519 keys: :mod:`letrade_cli.core.ed25519`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from urllib.parse import quote, urlencode

from letrade_cli.core.ed25519 import Ed25519Key, load_ed25519_key
from letrade_cli.venues.base import SignedRequest

API_KEY_HEADER = "X-MBX-APIKEY"
DEFAULT_RECV_WINDOW_MS = 5000


def hmac_sha256_hex(secret: str, payload: str) -> str:
    """Binance's signature: hex HMAC-SHA256 of ``payload`` keyed by ``secret``."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


class BinanceSigner:
    """Signs Binance ``SIGNED`` requests; ``time_offset_ms`` is server time minus ours."""

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        *,
        recv_window_ms: int = DEFAULT_RECV_WINDOW_MS,
        time_offset_ms: int = 0,
    ) -> None:
        self._api_key = api_key
        self._secret = api_secret
        self.recv_window_ms = recv_window_ms
        self.time_offset_ms = time_offset_ms

    def __repr__(self) -> str:  # never show the keys, even in a traceback's locals
        return f"BinanceSigner(recv_window_ms={self.recv_window_ms})"

    def timestamp_ms(self) -> int:
        """Our clock corrected to the server's, in ms."""
        return time.time_ns() // 1_000_000 + self.time_offset_ms

    def sign(self, method: str, path: str, params: dict[str, str]) -> SignedRequest:
        """Add ``recvWindow``, ``timestamp`` and ``signature``; the key goes in a header."""
        full = dict(params)
        full.setdefault("recvWindow", str(self.recv_window_ms))
        full["timestamp"] = str(self.timestamp_ms())
        query = urlencode(full)
        query += "&signature=" + hmac_sha256_hex(self._secret, query)
        return SignedRequest(query=query, headers={API_KEY_HEADER: self._api_key})


def ws_api_payload(params: dict[str, Any]) -> str:
    """The WebSocket API's signature payload: every param but ``signature``, sorted by name.

    ``k=v`` pairs joined by ``&``, values as text, no percent-encoding (Binance's "SIGNED
    request example"); booleans are spelt as JSON spells them.
    """
    return "&".join(f"{k}={_text(v)}" for k, v in sorted(params.items()) if k != "signature")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class BinanceEd25519Signer(BinanceSigner):
    """Signs REST ``SIGNED`` requests with an Ed25519 key: base64 signature, URL-encoded."""

    def __init__(
        self,
        api_key: str,
        key: Ed25519Key,
        *,
        recv_window_ms: int = DEFAULT_RECV_WINDOW_MS,
        time_offset_ms: int = 0,
    ) -> None:
        super().__init__(api_key, "", recv_window_ms=recv_window_ms, time_offset_ms=time_offset_ms)
        self._ed25519 = key

    def sign(self, method: str, path: str, params: dict[str, str]) -> SignedRequest:
        """Add ``recvWindow``, ``timestamp`` and the Ed25519 ``signature`` of the query."""
        full = dict(params)
        full.setdefault("recvWindow", str(self.recv_window_ms))
        full["timestamp"] = str(self.timestamp_ms())
        query = urlencode(full)
        query += "&signature=" + quote(self._ed25519.sign(query), safe="")
        return SignedRequest(query=query, headers={API_KEY_HEADER: self._api_key})


__all__ = ["BinanceEd25519Signer", "BinanceSigner", "Ed25519Key", "load_ed25519_key"]
