"""toyx request signing: HMAC-SHA256 over ``METHOD\\npath\\nquery``, with a nonce.

Every parameter goes in the query string (POST too: no body). The signer appends ``nonce``
(microseconds, strictly increasing per signer), signs ``f"{method}\\n{path}\\n{query}"`` with the
secret and sends the hex digest in ``X-TOYX-SIGN`` and the key in ``X-TOYX-KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

from letrade_cli.venues.base import SignedRequest

KEY_HEADER = "X-TOYX-KEY"
SIGN_HEADER = "X-TOYX-SIGN"


def signature(secret: str, method: str, path: str, query: str) -> str:
    """The hex HMAC-SHA256 toyx expects for one request."""
    payload = f"{method.upper()}\n{path}\n{query}".encode()
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


class ToyxSigner:
    """Signs toyx private requests."""

    def __init__(self, api_key: str, secret: str) -> None:
        self._api_key = api_key
        self._secret = secret
        self._last_nonce = 0

    def __repr__(self) -> str:  # never show the keys
        return "ToyxSigner()"

    def _nonce(self) -> int:
        self._last_nonce = max(self._last_nonce + 1, time.time_ns() // 1000)
        return self._last_nonce

    def sign(self, method: str, path: str, params: dict[str, str]) -> SignedRequest:
        """Query string with the nonce; the signature and key as headers."""
        query = urlencode({**params, "nonce": str(self._nonce())})
        headers = {
            KEY_HEADER: self._api_key,
            SIGN_HEADER: signature(self._secret, method, path, query),
        }
        return SignedRequest(query=query, headers=headers)
