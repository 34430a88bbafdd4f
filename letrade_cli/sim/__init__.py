"""The embedded exchange: market generator, order book, Binance and Upbit dialects."""
