"""Ed25519 API keys of the sim: ``APIKEY=PUBLIC.pem`` specs read into public keys.

A venue's sim dialect verifies signatures with them (REST and WebSocket API requests, a session
logon); ``letrade sim --ed25519-key`` fills ``SimConfig.ed25519_keys`` from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key


def load_ed25519_public_key(pem: bytes) -> Ed25519PublicKey:
    """The Ed25519 public key in ``pem``; ValueError when it is not one."""
    try:
        key = load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise ValueError("not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"a {type(key).__name__.removeprefix('_')}, not an Ed25519 public key")
    return key


def parse_ed25519_keys(specs: Iterable[str]) -> dict[str, bytes]:
    """``["APIKEY=path/to/public.pem", ...]`` -> API key -> PEM bytes (each one checked).

    Raises:
        ValueError: A spec without ``=``, an unreadable file or one that holds no Ed25519
            public key; the message names the spec.
    """
    out: dict[str, bytes] = {}
    for spec in specs:
        api_key, sep, path = spec.partition("=")
        if not sep or not api_key or not path:
            raise ValueError(f"{spec!r} is not APIKEY=PUBLIC.pem")
        try:
            pem = Path(path).expanduser().read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            load_ed25519_public_key(pem)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        out[api_key] = pem
    return out
