"""Binance spot: the market-data dialect (``dialect``, ``fast``) and request signing (``auth``)."""

from letrade_cli.venues.binance.dialect import BinanceDecoder, BinanceDialect

__all__ = ["BinanceDecoder", "BinanceDialect"]
