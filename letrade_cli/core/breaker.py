"""A circuit breaker: stop calling a service that keeps failing, probe it again later.

::

    closed --(failure_threshold failures in a row)--> open
    open --(reset_timeout_s elapsed, next allow())--> half_open   (one trial call at a time)
    half_open --success--> closed        half_open --failure--> open
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TypeVar

from letrade_cli.core.errors import NetworkUnavailableError

T = TypeVar("T")


class BreakerState(StrEnum):
    """The three states of a CircuitBreaker (values are plain strings for ``--json``)."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpenError(NetworkUnavailableError):
    """The breaker is open: the call was not attempted."""

    def __init__(
        self, message: str = "circuit open: too many consecutive failures", *, retry_after: float
    ) -> None:
        super().__init__(message, hint=f"the service kept failing; next try in {retry_after:.1f}s")
        self.retry_after = retry_after


class CircuitBreaker:
    """Counts consecutive failures and refuses calls while the service looks down.

    Args:
        failure_threshold: Consecutive failures that open the circuit.
        reset_timeout_s: Seconds the circuit stays open before one trial call is allowed.
        clock: Monotonic seconds (injectable for tests).
        ignore: Exception types raised through ``call`` that prove the service answered
            (for example ``ExchangeRejectedError``): re-raised, recorded as a success.
    """

    def __init__(
        self,
        failure_threshold: int = 3,
        reset_timeout_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        ignore: tuple[type[BaseException], ...] = (),
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.reset_timeout_s = reset_timeout_s
        self._clock = clock
        self._ignore = ignore
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False
        self.transitions: Counter[str] = Counter()
        self.opened_count = 0

    @property
    def state(self) -> BreakerState:
        """The current state (``open`` turns ``half_open`` only when ``allow`` is called)."""
        return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures recorded since the last success."""
        return self._failures

    def retry_after(self) -> float:
        """Seconds until an open circuit lets a trial through (0.0 when not open)."""
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.reset_timeout_s - self._clock())

    def allow(self) -> bool:
        """Whether a call may go ahead now; in half_open this claims the single trial slot."""
        state = self._state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.OPEN:
            if self._clock() - self._opened_at < self.reset_timeout_s:
                return False
            self._move(BreakerState.HALF_OPEN)
        if self._trial_in_flight:
            return False
        self._trial_in_flight = True
        return True

    def record_success(self) -> None:
        """A call succeeded: reset the failure count; a half-open trial closes the circuit."""
        self._failures = 0
        self._trial_in_flight = False
        if self._state is BreakerState.HALF_OPEN:
            self._move(BreakerState.CLOSED)

    def record_failure(self) -> None:
        """A call failed: a half-open trial reopens; enough failures in a row open."""
        self._failures += 1
        self._trial_in_flight = False
        if self._state is BreakerState.HALF_OPEN or (
            self._state is BreakerState.CLOSED and self._failures >= self.failure_threshold
        ):
            self._open()

    def release(self) -> None:
        """Give back a half-open trial slot without a verdict (the call was cancelled)."""
        self._trial_in_flight = False

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await ``fn()`` through the breaker.

        Raises:
            CircuitOpenError: The circuit is open (or its half-open trial is taken).
        """
        if not self.allow():
            raise CircuitOpenError(retry_after=self.retry_after())
        try:
            result = await fn()
        except asyncio.CancelledError:
            self.release()
            raise
        except self._ignore:
            self.record_success()
            raise
        except Exception:
            self.record_failure()
            raise
        self.record_success()
        return result

    def _open(self) -> None:
        self._opened_at = self._clock()
        self.opened_count += 1
        self._move(BreakerState.OPEN)

    def _move(self, new: BreakerState) -> None:
        if new is not self._state:
            self.transitions[f"{self._state.value}->{new.value}"] += 1
            self._state = new

    def as_dict(self) -> dict[str, object]:
        """State and counters as a plain dict."""
        return {
            "state": self._state.value,
            "failures": self._failures,
            "opened_count": self.opened_count,
            "transitions": dict(self.transitions),
        }
