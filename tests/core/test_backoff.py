from __future__ import annotations

import random

import pytest

from letrade_cli.core.backoff import Backoff


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_bounds_growth_and_cap() -> None:
    b = Backoff(initial_s=0.5, max_s=30.0, multiplier=2.0, rng=random.Random(1))
    ceilings = []
    for attempt in range(12):
        assert b.attempt == attempt
        cap = b.ceiling()
        ceilings.append(cap)
        delay = b.next_delay()
        assert 0.0 <= delay <= cap
    assert ceilings[:7] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
    assert ceilings[-1] == 30.0


def test_full_jitter_spreads_over_window() -> None:
    rng = random.Random(7)
    delays = []
    for _ in range(2000):
        b = Backoff(initial_s=1.0, max_s=8.0, rng=rng)
        for _ in range(3):
            b.next_delay()
        delays.append(b.next_delay())  # window [0, 8]
    assert min(delays) < 0.5 and max(delays) > 7.5
    assert 3.5 < sum(delays) / len(delays) < 4.5


def test_huge_attempt_does_not_overflow() -> None:
    b = Backoff(rng=random.Random(0))
    for _ in range(2000):
        assert b.next_delay() <= 30.0


def test_reset_after_stable_connection_only() -> None:
    clock = FakeClock()
    b = Backoff(stable_after_s=60.0, rng=random.Random(0), clock=clock)
    for _ in range(4):
        b.next_delay()
    b.on_connected()
    clock.t += 59.9
    assert b.on_disconnected() is False
    assert b.attempt == 4
    b.on_connected()
    clock.t += 60.0
    assert b.on_disconnected() is True
    assert b.attempt == 0
    assert b.on_disconnected() is False  # no connection recorded


def test_reset_and_determinism() -> None:
    a = Backoff(rng=random.Random(42))
    b = Backoff(rng=random.Random(42))
    assert [a.next_delay() for _ in range(10)] == [b.next_delay() for _ in range(10)]
    a.reset()
    assert a.attempt == 0 and a.ceiling() == 0.5


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        Backoff(initial_s=0)
    with pytest.raises(ValueError):
        Backoff(initial_s=5, max_s=1)
