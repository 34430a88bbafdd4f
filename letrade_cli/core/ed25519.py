"""Ed25519 private keys: loaded from PEM or base64, base64 signatures, the public half as PEM.

``cryptography`` is imported only when a key is loaded, so commands without one stay light.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any


class Ed25519Key:
    """An Ed25519 private key; its signatures are base64, as venues take them."""

    def __init__(self, private_key: Any) -> None:
        self._key = private_key

    def __repr__(self) -> str:
        return "Ed25519Key(****)"

    def sign(self, payload: str) -> str:
        """The base64 Ed25519 signature of ``payload``'s UTF-8 bytes."""
        return base64.b64encode(self._key.sign(payload.encode())).decode("ascii")

    def public_pem(self) -> bytes:
        """The public key as PEM (SubjectPublicKeyInfo): what a venue registers."""
        from cryptography.hazmat.primitives import serialization

        return bytes(
            self._key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


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
