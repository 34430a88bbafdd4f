from __future__ import annotations

from collections import OrderedDict

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from letrade_cli.core.cache import CacheStats, PriceCache
from letrade_cli.core.tick import Tick


def tick(symbol: str, price: float = 1.0) -> Tick:
    return Tick("sim", symbol, "trade", None, None, price, 1.0, 0, 0, -1)


def test_put_get_hit_and_miss() -> None:
    cache = PriceCache(max_size=2, ttl_ns=100, clock=lambda: 0)
    cache.put("a", tick("a"))
    assert cache.get("a") == tick("a")
    assert cache.get("b") is None
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.size) == (1, 1, 1)
    assert stats.hit_rate == 0.5
    assert stats.as_dict()["hit_rate"] == 0.5
    assert len(cache) == 1 and "a" in cache


def test_lru_eviction_respects_get_recency() -> None:
    cache = PriceCache(max_size=2, ttl_ns=None)
    cache.put("a", tick("a"), 0)
    cache.put("b", tick("b"), 0)
    assert cache.get("a", 0) is not None  # a is now most recent
    cache.put("c", tick("c"), 0)
    assert cache.peek("b") is None
    assert [k for k, _ in cache.items()] == ["a", "c"]
    assert cache.evictions == 1


def test_ttl_expiry_counts_miss_and_expiration() -> None:
    cache = PriceCache(ttl_ns=500)
    cache.put("a", tick("a"), now_ns=1_000)
    assert cache.get("a", now_ns=1_500) is not None  # exactly ttl old: still fresh
    assert cache.get("a", now_ns=1_501) is None
    assert (cache.hits, cache.misses, cache.expirations) == (1, 1, 1)
    assert len(cache) == 0


def test_peek_returns_expired_without_counting() -> None:
    now = [0]
    cache = PriceCache(ttl_ns=10, clock=lambda: now[0])
    cache.put("a", tick("a"))
    now[0] = 1_000
    assert cache.peek("a") == tick("a")
    assert cache.age_ns("a") == 1_000
    assert cache.stats() == CacheStats(0, 0, 0, 0, 1, 1000)
    assert cache.purge_expired() == 1
    assert cache.expirations == 1 and len(cache) == 0


def test_put_refreshes_timestamp_and_value() -> None:
    cache = PriceCache(ttl_ns=10)
    cache.put("a", tick("a", 1.0), 0)
    cache.put("a", tick("a", 2.0), 8)
    got = cache.get("a", 15)
    assert got is not None and got.last == 2.0


def test_invalid_size() -> None:
    with pytest.raises(ValueError):
        PriceCache(max_size=0)


KEYS = st.sampled_from([f"k{i}" for i in range(8)])


class CacheModel(RuleBasedStateMachine):
    """PriceCache against a plain OrderedDict model."""

    def __init__(self) -> None:
        super().__init__()
        self.max_size = 4
        self.ttl = 50
        self.cache = PriceCache(max_size=self.max_size, ttl_ns=self.ttl)
        self.model: OrderedDict[str, tuple[Tick, int]] = OrderedDict()
        self.now = 0
        self.hits = self.misses = self.expirations = self.evictions = 0

    @rule(dt=st.integers(0, 40))
    def advance(self, dt: int) -> None:
        self.now += dt

    @rule(key=KEYS, price=st.floats(0, 1e6))
    def put(self, key: str, price: float) -> None:
        value = tick(key, price)
        self.cache.put(key, value, self.now)
        self.model[key] = (value, self.now)
        self.model.move_to_end(key)
        if len(self.model) > self.max_size:
            self.model.popitem(last=False)
            self.evictions += 1

    @rule(key=KEYS)
    def get(self, key: str) -> None:
        got = self.cache.get(key, self.now)
        entry = self.model.get(key)
        if entry is None:
            self.misses += 1
            assert got is None
        elif self.now - entry[1] > self.ttl:
            del self.model[key]
            self.misses += 1
            self.expirations += 1
            assert got is None
        else:
            self.model.move_to_end(key)
            self.hits += 1
            assert got is entry[0]

    @precondition(lambda self: len(self.model) > 0)
    @rule(data=st.data())
    def peek(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(list(self.model)))
        assert self.cache.peek(key) is self.model[key][0]

    @invariant()
    def matches_model(self) -> None:
        assert len(self.cache) <= self.max_size
        assert [k for k, _ in self.cache.items()] == list(self.model)
        s = self.cache.stats()
        assert (s.hits, s.misses, s.expirations, s.evictions, s.size) == (
            self.hits,
            self.misses,
            self.expirations,
            self.evictions,
            len(self.model),
        )


TestCacheModel = CacheModel.TestCase
TestCacheModel.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
