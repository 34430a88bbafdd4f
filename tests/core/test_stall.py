"""Stall thresholds learnt from a feed's own inter-arrival gaps (pure logic, synthetic clocks)."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from letrade_cli.core.stall import GapEstimator, stale_keys

S = 1_000_000_000


def feed_with(gaps_s: list[float], floor_s: float = 0.5, ceiling_s: float = 10.0) -> GapEstimator:
    feed = GapEstimator(floor_s=floor_s, ceiling_s=ceiling_s)
    t = S
    feed.observe(t)
    for gap in gaps_s:
        t += int(gap * S)
        feed.observe(t)
    return feed


def poisson(rate: float, n: int, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [rng.expovariate(rate) for _ in range(n)]


def test_unknown_rhythm_waits_for_the_ceiling() -> None:
    feed = feed_with([])
    assert feed.threshold_ns() == 10 * S
    assert not feed.is_stalled(feed.last_ns + 9 * S)
    assert feed.is_stalled(feed.last_ns + 11 * S)


def test_a_busy_feed_is_stalled_after_the_floor() -> None:
    feed = feed_with(poisson(200.0, 2000))
    assert feed.threshold_ns() == S // 2
    assert not feed.is_stalled(feed.last_ns + int(0.4 * S))
    assert feed.is_stalled(feed.last_ns + int(0.6 * S))


def test_a_moderate_feed_gets_a_threshold_of_a_few_gaps() -> None:
    feed = feed_with(poisson(5.0, 2000))  # one message every 0.2 s on average
    assert S < feed.threshold_ns() < 10 * S


def test_a_quiet_symbol_does_not_flap() -> None:
    """A symbol trading every 3 s on average, for a day: never silent past its threshold."""
    gaps = poisson(0.3, 28_800, seed=3)
    feed = feed_with(gaps[:100], ceiling_s=60.0)
    flaps = 0
    t = feed.last_ns
    for gap in gaps[100:]:
        t += int(gap * S)
        if t - feed.last_ns > feed.threshold_ns():
            flaps += 1
        feed.observe(t)
    assert flaps == 0
    assert 20 * S < feed.threshold_ns() <= 60 * S


def test_an_outage_is_not_learnt_as_normal() -> None:
    feed = feed_with(poisson(200.0, 2000))
    feed.observe(feed.last_ns + 5 * S)  # a 5 s stall, then the feed resumes
    for gap in poisson(200.0, 50, seed=2):
        feed.observe(feed.last_ns + int(gap * S))
    assert feed.threshold_ns() == S // 2


def test_a_reconnect_gap_is_skipped() -> None:
    feed = feed_with(poisson(200.0, 500))
    samples = feed.samples
    feed.restart()
    feed.observe(feed.last_ns + 3 * S)
    assert feed.samples == samples
    assert feed.threshold_ns() == S // 2


def test_a_feed_that_slows_down_adapts_instead_of_stalling_forever() -> None:
    feed = feed_with(poisson(200.0, 1000))
    stalls = 0
    for gap in [0.8] * 200:  # now a message every 0.8 s, more than the old threshold
        if int(gap * S) > feed.threshold_ns():
            stalls += 1
        feed.observe(feed.last_ns + int(gap * S))
    assert stalls < 20
    assert feed.threshold_ns() > int(0.8 * S)


def test_stale_keys_lists_only_silent_feeds() -> None:
    busy, quiet, never = feed_with(poisson(200.0, 500)), feed_with(poisson(1.0, 50)), feed_with([])
    never.last_ns = 0
    now = max(busy.last_ns, quiet.last_ns) + 2 * S
    quiet.last_ns = now - S  # quiet spoke a second ago: normal for it
    assert stale_keys([("busy", busy), ("quiet", quiet), ("never", never)], now) == ["busy"]


@given(
    st.lists(st.floats(min_value=0.0, max_value=60.0), min_size=1, max_size=200),
    st.floats(min_value=0.01, max_value=5.0),
    st.floats(min_value=0.01, max_value=60.0),
)
def test_threshold_stays_between_floor_and_ceiling(
    gaps: list[float], floor_s: float, ceiling_s: float
) -> None:
    feed = feed_with(gaps, floor_s=floor_s, ceiling_s=ceiling_s)
    assert min(floor_s, ceiling_s) * S - 1 <= feed.threshold_ns() <= ceiling_s * S
