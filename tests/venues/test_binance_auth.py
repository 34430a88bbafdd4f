"""Binance HMAC signing: Binance's documented example vector, and what a signed request carries."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl

from letrade_cli.venues.binance.auth import API_KEY_HEADER, BinanceSigner, hmac_sha256_hex

# From Binance's "SIGNED endpoint examples for POST /api/v3/order" (the HMAC keys section).
DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
DOC_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
DOC_QUERY = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
    "&recvWindow=5000&timestamp=1499827319559"
)
DOC_SIGNATURE = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def test_documented_example_vector() -> None:
    assert hmac_sha256_hex(DOC_SECRET, DOC_QUERY) == DOC_SIGNATURE


def test_signer_reproduces_the_documented_request(monkeypatch) -> None:
    signer = BinanceSigner(DOC_KEY, DOC_SECRET, recv_window_ms=5000)
    monkeypatch.setattr(signer, "timestamp_ms", lambda: 1499827319559)
    params = {
        "symbol": "LTCBTC",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "1",
        "price": "0.1",
    }
    wire = signer.sign("POST", "/api/v3/order", params)
    assert wire.query == f"{DOC_QUERY}&signature={DOC_SIGNATURE}"
    assert wire.headers == {API_KEY_HEADER: DOC_KEY}
    assert wire.body is None


def test_signature_covers_the_exact_query_and_offset_is_applied() -> None:
    signer = BinanceSigner("k" * 64, "s" * 64, recv_window_ms=3000, time_offset_ms=-90_000)
    wire = signer.sign("GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "a/b:c"})
    query, _, signature = wire.query.rpartition("&signature=")
    expected = hmac.new(b"s" * 64, query.encode(), hashlib.sha256).hexdigest()
    assert signature == expected
    fields = dict(parse_qsl(query))
    assert fields["recvWindow"] == "3000"
    assert fields["origClientOrderId"] == "a/b:c"
    # the offset moves the timestamp by the measured server-minus-local difference
    plain = BinanceSigner("k", "s").timestamp_ms()
    assert abs(int(fields["timestamp"]) - (plain - 90_000)) < 5_000


def test_repr_hides_the_keys() -> None:
    signer = BinanceSigner(DOC_KEY, DOC_SECRET)
    assert DOC_KEY not in repr(signer) and DOC_SECRET not in repr(signer)
