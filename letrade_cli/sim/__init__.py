"""The embedded exchange: market generator, order book, and every registered venue's dialect."""
