from __future__ import annotations

import pytest

from letrade_cli.core.rate import TokenBucket


class FakeClock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_token_bucket_try_acquire_and_refill() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate_per_s=5, burst=2, clock=clock)
    assert bucket.try_acquire() and bucket.try_acquire()
    assert not bucket.try_acquire()
    assert bucket.wait_time() == pytest.approx(0.2)
    clock.t += 0.2
    assert bucket.try_acquire()
    clock.t += 100
    assert bucket.tokens == 2.0


async def test_token_bucket_acquire_paces() -> None:
    clock = FakeClock()
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        clock.t += s

    bucket = TokenBucket(rate_per_s=4, burst=1, clock=clock, sleep=sleep)
    start = clock.t
    waits = [await bucket.acquire() for _ in range(9)]
    assert waits[0] == 0.0
    assert clock.t - start == pytest.approx(2.0)  # 8 more tokens at 4/s
    assert all(w == pytest.approx(0.25) for w in waits[1:])
    with pytest.raises(ValueError):
        await bucket.acquire(5)


async def test_token_bucket_real_sleep_is_short() -> None:
    bucket = TokenBucket(rate_per_s=200, burst=1)
    for _ in range(3):
        await bucket.acquire()
    assert bucket.tokens < 1.0
