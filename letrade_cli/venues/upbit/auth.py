"""Upbit request signing: a JWT (HS256) per request, built with PyJWT.

The payload carries ``access_key`` and a fresh ``nonce``; when the request has parameters it
also carries ``query_hash`` (SHA-512 hex of the query string as Upbit documents it, unescaped)
and ``query_hash_alg``. GET and DELETE send parameters in the query string; POST sends them as a
JSON body (hashed in their query-string form). The token goes in ``Authorization: Bearer``.
"""

from __future__ import annotations

import hashlib
import uuid
from urllib.parse import unquote, urlencode

import jwt
import orjson

from letrade_cli.venues.base import SignedRequest


def query_string(params: dict[str, str]) -> str:
    """The string Upbit hashes: ``urlencode`` of the parameters, then unescaped."""
    return unquote(urlencode(params, doseq=True))


class UpbitSigner:
    """Signs Upbit private API requests with the account's access and secret keys."""

    def __init__(self, access_key: str, secret_key: str) -> None:
        self._access_key = access_key
        self._secret = secret_key

    def __repr__(self) -> str:  # never show the keys, even in a traceback's locals
        return "UpbitSigner()"

    def token(self, params: dict[str, str]) -> str:
        """The JWT for one request with these parameters."""
        payload: dict[str, str] = {"access_key": self._access_key, "nonce": str(uuid.uuid4())}
        if params:
            digest = hashlib.sha512(query_string(params).encode()).hexdigest()
            payload["query_hash"] = digest
            payload["query_hash_alg"] = "SHA512"
        return jwt.encode(payload, self._secret, algorithm="HS256")

    def sign(self, method: str, path: str, params: dict[str, str]) -> SignedRequest:
        """Query string for GET/DELETE, JSON body for POST, and the Bearer token."""
        headers = {"Authorization": f"Bearer {self.token(params)}"}
        if method == "POST":
            headers["Content-Type"] = "application/json; charset=utf-8"
            return SignedRequest(query="", body=orjson.dumps(params), headers=headers)
        return SignedRequest(query=urlencode(params, doseq=True), headers=headers)
