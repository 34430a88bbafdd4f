"""Upbit: the market-data dialect (``dialect``) and JWT request signing (``auth``)."""

from letrade_cli.venues.upbit.dialect import QUOTES, UpbitDecoder, UpbitDialect

__all__ = ["QUOTES", "UpbitDecoder", "UpbitDialect"]
