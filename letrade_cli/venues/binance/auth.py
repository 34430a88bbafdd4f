"""Binance request signing: HMAC-SHA256 (hex) or Ed25519 (base64) over what is sent.

``SIGNED`` endpoints take ``timestamp`` (ms, corrected by the measured server offset) and
``recvWindow``; the signature is the hex HMAC of the query string as sent, and the API key goes
in ``X-MBX-APIKEY``. Every parameter is sent in the query string, for GET, POST and DELETE alike,
so what is signed is byte for byte what is sent. The WebSocket API signs its ``params`` sorted
by name (:func:`ws_api_payload`). ``cryptography`` is imported only when an Ed25519 key is loaded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import quote, urlencode

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


class Ed25519Key:
    """An Ed25519 private key: base64 signatures, as Binance takes them (REST and WebSocket API)."""

    def __init__(self, private_key: Any) -> None:
        self._key = private_key

    def __repr__(self) -> str:
        return "Ed25519Key(****)"

    def sign(self, payload: str) -> str:
        """The base64 Ed25519 signature of ``payload``'s UTF-8 bytes."""
        return base64.b64encode(self._key.sign(payload.encode())).decode("ascii")


def load_ed25519_key(material: bytes) -> Ed25519Key:
    """An Ed25519 private key from PEM (PKCS#8) or base64 (DER, or the raw 32-byte seed).

    Raises:
        ValueError: the material is not an unencrypted Ed25519 private key (the message names
            what was wrong, never any of the key's bytes).
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        load_der_private_key,
        load_pem_private_key,
    )

    text = material.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            key: Any = load_pem_private_key(text, password=None)
        else:
            raw = base64.b64decode(b"".join(text.split()), validate=True)
            key = (
                Ed25519PrivateKey.from_private_bytes(raw)
                if len(raw) == 32
                else load_der_private_key(raw, password=None)
            )
    except TypeError:
        raise ValueError("the key is encrypted; store it without a password") from None
    except (ValueError, binascii.Error):
        raise ValueError("not a PEM or base64 private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"a {type(key).__name__.removesuffix('PrivateKey')} key, not Ed25519")
    return Ed25519Key(key)


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
