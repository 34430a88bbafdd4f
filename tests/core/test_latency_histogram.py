from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from letrade_cli.core.histogram import (
    MAX_VALUE_NS,
    LatencyHistogram,
    bucket_bounds,
    bucket_index,
)


def exact_percentile(values: list[int], p: float) -> int:
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def test_buckets_tile_the_range() -> None:
    top = bucket_index(MAX_VALUE_NS)
    for i in range(top):
        assert bucket_bounds(i)[1] + 1 == bucket_bounds(i + 1)[0]
    assert bucket_bounds(top)[1] == MAX_VALUE_NS
    for v in [0, 1, 127, 128, 129, 10**6, 10**9 + 7, 10**12, MAX_VALUE_NS]:
        low, high = bucket_bounds(bucket_index(v))
        assert low <= v <= high
        assert (high - low) <= max(low, 1) / 64


def test_empty() -> None:
    h = LatencyHistogram()
    assert h.count == 0 and h.min == 0 and h.max == 0 and h.percentile(99) == 0
    assert h.summary()["count"] == 0


def test_small_values_are_exact() -> None:
    h = LatencyHistogram()
    for v in range(1, 101):
        h.record(v)
    assert h.percentile(50) == 50
    assert h.percentile(99) == 99
    assert h.percentile(100) == 100 == h.max
    assert h.percentile(0) == 1 == h.min
    assert h.count == 100


def test_negative_and_clamped() -> None:
    h = LatencyHistogram()
    h.record(-5)
    h.record(MAX_VALUE_NS * 4)
    assert h.negative == 1 and h.clamped == 1
    assert h.min == 0 and h.max == MAX_VALUE_NS
    assert h.summary()["negative"] == 1


def test_merge_and_reset() -> None:
    a, b = LatencyHistogram(), LatencyHistogram()
    for v in range(1000, 2000):
        a.record(v)
    for v in range(5000, 6000):
        b.record(v)
    b.record(-1)
    a.merge(b)
    assert a.count == 2001 and a.min == 0 and a.max == 5999 and a.negative == 1
    a.reset()
    assert a.count == 0 and a.max == 0


def test_percentile_range_checked() -> None:
    with pytest.raises(ValueError):
        LatencyHistogram().percentile(101)


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.integers(0, 10**12), min_size=1, max_size=300),
    p=st.floats(0, 100),
)
def test_percentile_within_relative_error(values: list[int], p: float) -> None:
    h = LatencyHistogram()
    for v in values:
        h.record(v)
    exact = exact_percentile(values, p)
    got = h.percentile(p)
    assert abs(got - exact) <= exact / 100 + 1  # bucket midpoints: < 0.8% in theory
    summary = h.summary()
    assert summary["max"] == max(values) and summary["count"] == len(values)
    assert set(summary) >= {"p50", "p90", "p99", "p99_9", "max", "count"}
