"""Who may sign for the sim's Binance account, and how a signature is checked.

Two kinds of API key open the account: the HMAC key of ``SimConfig.api_key`` (signature: hex
HMAC-SHA256 keyed by ``api_secret``, case-insensitive) and the Ed25519 keys of
``SimConfig.ed25519_keys`` (signature: base64 Ed25519 over the same payload, case-sensitive).
The payload is, on REST, the query string as sent (then the body), ``signature`` left out; on the
WebSocket API, every parameter but ``signature`` sorted by name as ``k=v`` joined by ``&``, with
no percent-encoding (:func:`ws_payload`). Timing (``timestamp``, ``recvWindow``) is checked the
same way on both (:func:`check_timing`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from letrade_cli.sim.keys import load_ed25519_public_key
from letrade_cli.sim.orders import now_ms
from letrade_cli.venues.binance.sim.rest import BinanceApiError

HMAC = "HMAC_SHA256"
ED25519 = "ED25519"
MAX_RECV_WINDOW = 60_000
DEFAULT_RECV_WINDOW = 5_000
API_KEY_RE = re.compile(r"^[A-Za-z0-9\-_]{1,128}$")
RECV_WINDOW_RE = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,3})?$")


def bad_key_format() -> BinanceApiError:
    """-2014 (status 401)."""
    return BinanceApiError(-2014, "API-key format invalid.", 401)


def rejected_key() -> BinanceApiError:
    """-2015 (status 401): a key the sim does not know."""
    return BinanceApiError(-2015, REJECTED_KEY_MESSAGE, 401)


# Binance's text, then what only the sim can say: which key it expects and where it comes from.
REJECTED_KEY_MESSAGE = (
    "Invalid API-key, IP, or permissions for action. (letrade sim: the key is not one it was "
    "started with; set LETRADE_SIM_API_KEY and LETRADE_SIM_API_SECRET to its --api-key and "
    "--api-secret)"
)


def bad_signature() -> BinanceApiError:
    """-1022."""
    return BinanceApiError(-1022, "Signature for this request is not valid.")


def missing(name: str) -> BinanceApiError:
    """-1102 for a mandatory parameter that was not sent."""
    return BinanceApiError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def ws_value(value: Any) -> str:
    """A JSON parameter value as a string: JSON's spelling of booleans, ``str()`` otherwise."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def ws_payload(params: Mapping[str, Any]) -> str:
    """The WebSocket API's signature payload: ``k=v`` of all but ``signature``, sorted, ``&``."""
    return "&".join(
        f"{k}={ws_value(v)}"
        for k, v in sorted(params.items())
        if k != "signature" and v is not None
    )


def hmac_signature(secret: str, payload: str) -> str:
    """Hex HMAC-SHA256 of ``payload`` keyed by ``secret`` (what an HMAC key signs with)."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


class KeyRing:
    """The API keys that open the Binance account: one HMAC key and any Ed25519 keys."""

    def __init__(
        self, api_key: str, api_secret: str, ed25519_keys: Mapping[str, bytes] | None = None
    ) -> None:
        self.api_key = api_key
        self._secret = api_secret
        self._ed25519: dict[str, Ed25519PublicKey] = {
            k: load_ed25519_public_key(pem) for k, pem in (ed25519_keys or {}).items()
        }

    def kind(self, api_key: str) -> str:
        """``HMAC_SHA256`` or ``ED25519``; -2014 malformed, -2015 unknown (status 401)."""
        if not api_key or not API_KEY_RE.match(api_key):
            raise bad_key_format()
        if api_key in self._ed25519:
            return ED25519
        if hmac.compare_digest(api_key.encode(), self.api_key.encode()):
            return HMAC
        raise rejected_key()

    def verify(self, api_key: str, payload: str, signature: str) -> None:
        """Check ``signature`` of ``payload`` by ``api_key`` (see :meth:`kind`); -1022 if bad."""
        if self.kind(api_key) == HMAC:
            expected = hmac_signature(self._secret, payload)
            if not hmac.compare_digest(expected, signature.lower()):
                raise bad_signature()
            return
        try:
            raw = base64.b64decode(signature, validate=True)
            self._ed25519[api_key].verify(raw, payload.encode())
        except (binascii.Error, ValueError, InvalidSignature):
            raise bad_signature() from None


def check_timing(timestamp: str | None, recv_window: str | None) -> None:
    """Binance's timing security: -1102 no timestamp, -1131 window > 60 s, -1021 outside it.

    ``timestamp`` may be in ms or µs; ``recvWindow`` in ms with up to three decimals.
    """
    if timestamp is None or timestamp == "":
        raise missing("timestamp")
    if not timestamp.isdigit() or len(timestamp) > 20:
        raise BinanceApiError(
            -1100,
            "Illegal characters found in parameter 'timestamp'; legal range is '^[0-9]{1,20}$'.",
        )
    ts = Decimal(int(timestamp))
    if ts >= 10**15:  # microseconds
        ts /= 1000
    window = Decimal(DEFAULT_RECV_WINDOW)
    if recv_window:
        if not RECV_WINDOW_RE.match(recv_window):
            raise BinanceApiError(
                -1100,
                "Illegal characters found in parameter 'recvWindow'; "
                "legal range is '^[0-9]{1,10}(\\.[0-9]{1,3})?$'.",
            )
        window = Decimal(recv_window)
    if window > MAX_RECV_WINDOW:
        raise BinanceApiError(-1131, "recvWindow must be less than 60000.")
    server = now_ms()
    if ts >= server + 1000:
        raise BinanceApiError(
            -1021, "Timestamp for this request was 1000ms ahead of the server's time."
        )
    if server - ts > window:
        raise BinanceApiError(-1021, "Timestamp for this request is outside of the recvWindow.")
