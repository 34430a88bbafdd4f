from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from letrade_cli.core.gaps import GapDetector


def test_contiguous_gap_counts_missing() -> None:
    g = GapDetector()
    key = ("BTCUSDT", "trade")
    assert g.observe(key, 10, True) == 0
    assert g.observe(key, 11, True) == 0
    assert g.observe(key, 15, True) == 3
    assert (g.gaps, g.missing) == (1, 3)
    assert g.last(key) == 15


def test_state_survives_reconnect_and_keys_are_separate() -> None:
    g = GapDetector()
    g.observe(("A", "aggTrade"), 100, True)
    g.observe(("B", "aggTrade"), 5, True)
    # ... reconnect: the detector is the same object, so the jump is seen
    assert g.observe(("A", "aggTrade"), 140, True) == 39
    assert g.observe(("B", "aggTrade"), 6, True) == 0
    assert g.as_dict() == {"gaps": 1, "missing": 39, "resets": 0, "duplicates": 0, "keys": 2}


def test_non_contiguous_only_counts_regressions() -> None:
    g = GapDetector()
    assert g.observe("BTCUSDT", 1000, False) == 0
    assert g.observe("BTCUSDT", 1500, False) == 0
    assert g.observe("BTCUSDT", 1500, False) == 0
    assert g.observe("BTCUSDT", 20, False) == 0
    assert (g.gaps, g.missing, g.duplicates, g.resets) == (0, 0, 1, 1)


def test_regression_in_contiguous_is_reset_and_forget() -> None:
    g = GapDetector()
    g.observe("x", 50, True)
    assert g.observe("x", 3, True) == 0
    assert g.resets == 1
    assert g.observe("x", 4, True) == 0
    g.forget("x")
    g.forget("never-seen")
    assert g.observe("x", 999, True) == 0
    assert g.observe("x", -1, True) == 0
    assert g.last("x") == 999


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=100))
def test_missing_adds_up(steps: list[int]) -> None:
    g = GapDetector()
    seq = 0
    g.observe("k", seq, True)
    returned = 0
    for step in steps:
        seq += step
        returned += g.observe("k", seq, True)
    assert returned == g.missing == sum(s - 1 for s in steps)
    assert g.gaps == sum(1 for s in steps if s > 1)
