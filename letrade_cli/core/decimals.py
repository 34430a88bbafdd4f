"""Decimal text in and out: what venues send, and what venues (and our messages) accept."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from letrade_cli.core.errors import DecodeError


def parse_decimal(value: Any, source: str) -> Decimal:
    """A venue number (string or JSON number) as a Decimal; ``DecodeError`` naming ``source``."""
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise DecodeError(f"{source}: '{value}' is not a number") from None


def plain(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros (``1E+2`` -> ``100``, ``0.10`` -> ``0.1``)."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text
