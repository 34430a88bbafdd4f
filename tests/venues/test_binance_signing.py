"""Binance's WebSocket API signatures: the documented HMAC example, Ed25519 keys in every form."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from letrade_cli.venues.binance.auth import (
    BinanceEd25519Signer,
    hmac_sha256_hex,
    load_ed25519_key,
    ws_api_payload,
)

# web-socket-api.md, "SIGNED request example (HMAC)" (illustrative keys published by Binance).
DOC_API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
DOC_PARAMS = {
    "symbol": "BTCUSDT",
    "side": "SELL",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.01000000",
    "price": "52000.00",
    "recvWindow": 100,
    "timestamp": 1645423376532,
    "apiKey": DOC_API_KEY,
}
DOC_PAYLOAD = (
    "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00"
    "&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC"
    "&timestamp=1645423376532&type=LIMIT"
)


def test_the_documented_hmac_example_signs_to_binances_value() -> None:
    payload = ws_api_payload({**DOC_PARAMS, "signature": "------ FILL ME ------"})
    assert payload == DOC_PAYLOAD
    assert hmac_sha256_hex(DOC_SECRET, payload) == (
        "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
    )


def test_the_documented_non_ascii_example_signs_to_binances_value() -> None:
    params = {
        "symbol": "１２３４５６",  # noqa: RUF001 (Binance's full-width example symbol)
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "1.00000000",
        "price": "0.10000000",
        "recvWindow": 5000,
        "timestamp": 1645423376532,
        "apiKey": DOC_API_KEY,
    }
    assert hmac_sha256_hex(DOC_SECRET, ws_api_payload(params)) == (
        "b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd"
    )


@given(
    st.dictionaries(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC", min_size=1, max_size=12),
        st.one_of(st.integers(), st.booleans(), st.text(alphabet="0123456789.ABCXYZ", max_size=10)),
        max_size=8,
    )
)
def test_the_payload_ignores_param_order_and_never_includes_the_signature(params: dict) -> None:
    forward = ws_api_payload({**params, "signature": "x"})
    backward = ws_api_payload(dict(reversed(list(params.items()))))
    assert forward == backward
    assert "signature=" not in forward
    names = [pair.split("=", 1)[0] for pair in forward.split("&")] if forward else []
    assert names == sorted(params)


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_an_ed25519_signature_verifies_with_the_public_key_in_every_key_form() -> None:
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    forms = [_pem(private), base64.b64encode(der), base64.b64encode(raw)]
    for material in forms:
        signature = load_ed25519_key(material).sign(DOC_PAYLOAD)
        public.verify(base64.b64decode(signature), DOC_PAYLOAD.encode())  # raises if wrong


def test_keys_that_are_not_usable_ed25519_keys_are_refused_by_name() -> None:
    ed448 = Ed448PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    encrypted = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    with pytest.raises(ValueError, match="Ed448 key, not Ed25519"):
        load_ed25519_key(ed448)
    with pytest.raises(ValueError, match="encrypted"):
        load_ed25519_key(encrypted)
    with pytest.raises(ValueError, match="not a PEM or base64"):
        load_ed25519_key(b"this is not a key!")


def test_rest_requests_signed_with_ed25519_carry_a_url_encoded_base64_signature() -> None:
    private = Ed25519PrivateKey.generate()
    signer = BinanceEd25519Signer("ed-key", load_ed25519_key(_pem(private)))
    signed = signer.sign("POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY"})
    query, _, signature = signed.query.rpartition("&signature=")
    from urllib.parse import unquote

    private.public_key().verify(base64.b64decode(unquote(signature)), query.encode())
    assert signed.headers == {"X-MBX-APIKEY": "ed-key"}
    assert "ed-key" not in repr(signer) and "****" in repr(load_ed25519_key(_pem(private)))
