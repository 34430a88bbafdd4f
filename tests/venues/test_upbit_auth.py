"""Upbit JWT signing: the token decodes with PyJWT and its query_hash is SHA-512 of the query."""

from __future__ import annotations

import hashlib
import uuid

import jwt
import orjson

from letrade_cli.venues.upbit.auth import UpbitSigner, query_string

ACCESS = "upbit-access-key-for-tests-0123456789"
SECRET = "upbit-secret-key-for-tests-9876543210abcdef"


def _claims(header: str) -> dict[str, str]:
    assert header.startswith("Bearer ")
    return jwt.decode(header.removeprefix("Bearer "), SECRET, algorithms=["HS256"])


def test_get_token_carries_the_query_hash() -> None:
    params = {"market": "KRW-BTC", "identifier": "lt-abc:1"}
    wire = UpbitSigner(ACCESS, SECRET).sign("GET", "/v1/order", params)
    claims = _claims(wire.headers["Authorization"])
    assert claims["access_key"] == ACCESS
    uuid.UUID(claims["nonce"])
    assert claims["query_hash_alg"] == "SHA512"
    # Upbit hashes the unescaped query string
    assert query_string(params) == "market=KRW-BTC&identifier=lt-abc:1"
    expected = hashlib.sha512(b"market=KRW-BTC&identifier=lt-abc:1").hexdigest()
    assert claims["query_hash"] == expected
    assert wire.query == "market=KRW-BTC&identifier=lt-abc%3A1"
    assert wire.body is None


def test_post_sends_json_and_hashes_its_query_form() -> None:
    params = {
        "market": "KRW-BTC",
        "side": "bid",
        "volume": "0.01",
        "price": "100",
        "ord_type": "limit",
    }
    wire = UpbitSigner(ACCESS, SECRET).sign("POST", "/v1/orders", params)
    assert wire.query == ""
    assert wire.body is not None and orjson.loads(wire.body) == params
    assert wire.headers["Content-Type"].startswith("application/json")
    claims = _claims(wire.headers["Authorization"])
    query = "market=KRW-BTC&side=bid&volume=0.01&price=100&ord_type=limit"
    assert claims["query_hash"] == hashlib.sha512(query.encode()).hexdigest()


def test_no_parameters_no_query_hash_and_fresh_nonces() -> None:
    signer = UpbitSigner(ACCESS, SECRET)
    first = _claims(signer.sign("GET", "/v1/accounts", {}).headers["Authorization"])
    second = _claims(signer.sign("GET", "/v1/accounts", {}).headers["Authorization"])
    assert "query_hash" not in first
    assert first["nonce"] != second["nonce"]


def test_repr_hides_the_keys() -> None:
    text = repr(UpbitSigner(ACCESS, SECRET))
    assert ACCESS not in text and SECRET not in text
