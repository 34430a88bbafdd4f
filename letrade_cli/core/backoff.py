"""Reconnect delays: exponential growth with full jitter, reset after a stable connection."""

from __future__ import annotations

import random
import time
from collections.abc import Callable


class Backoff:
    """``delay = uniform(0, min(max_s, initial_s * multiplier ** attempt))`` ("full jitter").

    Full jitter spreads reconnecting clients over the whole window so they do not hammer a
    venue in lockstep after an outage. Attempts reset only when a connection stayed up for
    ``stable_after_s``: a connection that drops straight after connecting keeps backing off.
    """

    def __init__(
        self,
        initial_s: float = 0.5,
        max_s: float = 30.0,
        multiplier: float = 2.0,
        stable_after_s: float = 60.0,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if initial_s <= 0 or max_s < initial_s or multiplier < 1:
            raise ValueError("need 0 < initial_s <= max_s and multiplier >= 1")
        self.initial_s = initial_s
        self.max_s = max_s
        self.multiplier = multiplier
        self.stable_after_s = stable_after_s
        self._rng = rng if rng is not None else random.Random()
        self._clock = clock
        self._attempt = 0
        self._connected_at: float | None = None

    @property
    def attempt(self) -> int:
        """Delays handed out since the last reset."""
        return self._attempt

    def ceiling(self) -> float:
        """The upper bound of the next delay."""
        try:
            return min(self.max_s, self.initial_s * self.multiplier**self._attempt)
        except OverflowError:
            return self.max_s

    def next_delay(self) -> float:
        """The next delay in seconds (and count one more attempt)."""
        cap = self.ceiling()
        self._attempt += 1
        return self._rng.uniform(0.0, cap)

    def on_connected(self) -> None:
        """Record that a connection was just established."""
        self._connected_at = self._clock()

    def on_disconnected(self) -> bool:
        """Record a disconnect; reset attempts if the connection was stable. True if reset."""
        connected_at, self._connected_at = self._connected_at, None
        if connected_at is not None and self._clock() - connected_at >= self.stable_after_s:
            self._attempt = 0
            return True
        return False

    def reset(self) -> None:
        """Start again from ``initial_s``."""
        self._attempt = 0
