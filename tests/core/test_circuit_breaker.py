from __future__ import annotations

import asyncio

import pytest

from letrade_cli.core.breaker import BreakerState, CircuitBreaker, CircuitOpenError
from letrade_cli.core.errors import ExchangeRejectedError, NetworkUnavailableError


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def make(threshold: int = 3, timeout: float = 5.0) -> tuple[CircuitBreaker, FakeClock]:
    clock = FakeClock()
    return CircuitBreaker(threshold, timeout, clock=clock, ignore=(ExchangeRejectedError,)), clock


def test_opens_after_threshold_consecutive_failures() -> None:
    b, _ = make()
    b.record_failure()
    b.record_failure()
    b.record_success()  # resets the run
    b.record_failure()
    b.record_failure()
    assert b.state is BreakerState.CLOSED and b.allow()
    b.record_failure()
    assert b.state == "open"
    assert not b.allow()
    assert b.opened_count == 1
    assert b.transitions == {"closed->open": 1}


def test_half_open_single_trial_then_close() -> None:
    b, clock = make()
    for _ in range(3):
        b.record_failure()
    clock.t += 4.9
    assert not b.allow()
    assert b.retry_after() == pytest.approx(0.1)
    clock.t += 0.1
    assert b.allow()
    assert b.state is BreakerState.HALF_OPEN
    assert not b.allow()  # one trial at a time
    b.record_success()
    assert b.state is BreakerState.CLOSED
    assert b.transitions == {"closed->open": 1, "open->half_open": 1, "half_open->closed": 1}


def test_half_open_failure_reopens_and_restarts_timer() -> None:
    b, clock = make(threshold=1, timeout=2.0)
    b.record_failure()
    clock.t += 2.0
    assert b.allow()
    clock.t += 1.0
    b.record_failure()
    assert b.state is BreakerState.OPEN and b.opened_count == 2
    clock.t += 1.5
    assert not b.allow()
    clock.t += 0.5
    assert b.allow()
    assert b.transitions["half_open->open"] == 1


def test_release_frees_trial_slot() -> None:
    b, clock = make(threshold=1)
    b.record_failure()
    clock.t += 5
    assert b.allow() and not b.allow()
    b.release()
    assert b.allow()


async def test_call_success_failure_and_open_error() -> None:
    b, clock = make(threshold=2)

    async def ok() -> int:
        return 7

    async def boom() -> int:
        raise OSError("down")

    assert await b.call(ok) == 7
    for _ in range(2):
        with pytest.raises(OSError):
            await b.call(boom)
    with pytest.raises(CircuitOpenError) as info:
        await b.call(ok)
    assert isinstance(info.value, NetworkUnavailableError)
    assert info.value.hint and "5.0s" in info.value.hint
    assert info.value.exit_code == 4
    clock.t += 5
    assert await b.call(ok) == 7
    assert b.state is BreakerState.CLOSED


async def test_call_ignored_errors_count_as_success() -> None:
    b, _ = make(threshold=1)

    async def rejected() -> None:
        raise ExchangeRejectedError("bad symbol", code=-1121)

    with pytest.raises(ExchangeRejectedError):
        await b.call(rejected)
    assert b.state is BreakerState.CLOSED


async def test_call_cancelled_releases_trial() -> None:
    b, clock = make(threshold=1)
    b.record_failure()
    clock.t += 5

    async def hang() -> None:
        await asyncio.sleep(10)

    task = asyncio.create_task(b.call(hang))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert b.state is BreakerState.HALF_OPEN
    assert b.allow()
    assert b.as_dict()["state"] == "half_open"
