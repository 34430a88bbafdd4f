"""Exchange-agnostic building blocks: ticks, cache, breaker, backoff, bus, latency stats.

Nothing in ``core`` imports another Letrade package: it is the bottom layer (errors included).
"""
