"""A token bucket to pace outbound frames under a venue's inbound message limit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class TokenBucket:
    """``burst`` tokens, refilled at ``rate_per_s``; one token per outbound frame.

    Args:
        rate_per_s: Sustained tokens per second (keep it under the venue's limit).
        burst: Bucket size, and the tokens available at start.
        clock: Monotonic seconds.
        sleep: Awaitable sleep (injectable so tests need not wait).
    """

    def __init__(
        self,
        rate_per_s: float,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("need rate_per_s > 0 and burst >= 1")
        self.rate_per_s = rate_per_s
        self.burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = asyncio.Lock()

    @property
    def tokens(self) -> float:
        """Tokens available now."""
        self._refill()
        return self._tokens

    def _refill(self) -> None:
        now = self._clock()
        elapsed = now - self._stamp
        if elapsed > 0:
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate_per_s)
        self._stamp = now

    def try_acquire(self, n: float = 1.0) -> bool:
        """Take ``n`` tokens if available now."""
        self._refill()
        if self._tokens >= n:
            self._tokens -= n
            return True
        return False

    def wait_time(self, n: float = 1.0) -> float:
        """Seconds until ``n`` tokens are available (0.0 if they are now)."""
        self._refill()
        return max(0.0, (n - self._tokens) / self.rate_per_s)

    async def acquire(self, n: float = 1.0) -> float:
        """Wait until ``n`` tokens are available and take them (callers served in order).

        Returns:
            Seconds spent waiting.
        """
        if n > self.burst:
            raise ValueError("cannot acquire more tokens than the burst size")
        waited = 0.0
        async with self._lock:
            while not self.try_acquire(n):
                delay = (n - self._tokens) / self.rate_per_s
                await self._sleep(delay)
                waited += delay
        return waited
