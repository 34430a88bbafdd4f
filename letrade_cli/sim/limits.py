"""Rate limits of the embedded exchange: counts in aligned windows, refusals and bans.

Venues count in intervals aligned to the clock: a 10-second interval resets at :00, :10, :20;
a day at 00:00 UTC. :class:`FixedWindow` is one such count. :class:`RateGuard` is one client's
standing (the sim's clients all come from 127.0.0.1, so one guard stands for "the IP"): a
request refused for a limit (429) opens a refused window until its retry time; requests
refused again inside it are violations, and the ``after``-th violation earns a ban (418) of
``ban_s``, doubling with every ban (capped at ``max_s``), the way venues scale bans for repeat
offenders. Every refusal and ban is counted (``SimStats.rate_limited``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol

Clock = Callable[[], float]


class RefusalCount(Protocol):
    """Where refusals are counted (the hub, whose snapshot is ``SimStats.rate_limited``)."""

    rate_limited: int


class FixedWindow:
    """Units counted in the current aligned window of ``window_s`` seconds."""

    __slots__ = ("_index", "clock", "limit", "used", "window_s")

    def __init__(self, limit: int, window_s: float, clock: Clock = time.time) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._index = -1
        self.used = 0

    def current(self) -> int:
        """Units used in the window that is current now."""
        index = math.floor(self.clock() / self.window_s)
        if index != self._index:
            self._index, self.used = index, 0
        return self.used

    def add(self, units: int = 1) -> tuple[int, float | None]:
        """Count ``units``; ``(used, None)`` within the limit, else ``(used, seconds to reset)``.

        Units over the limit are counted too (a refused request still used the budget).
        """
        self.current()
        self.used += units
        if self.used > self.limit:
            return self.used, self.reset_in()
        return self.used, None

    def reset_in(self) -> float:
        """Seconds until the current window ends."""
        now = self.clock()
        return (math.floor(now / self.window_s) + 1) * self.window_s - now


class RateGuard:
    """One client's refusals and bans.

    Attributes:
        after: Refusals inside a refused window that earn a ban (0: never ban).
        ban_s: The first ban's length; each further ban doubles it.
        max_s: The longest ban.
        clock: Wall-clock seconds (replaceable in tests to step past a ban).
        bans: Bans so far.
        banned_until: When the current ban ends (clock seconds).
    """

    def __init__(
        self,
        after: int = 3,
        ban_s: float = 120.0,
        max_s: float = 3 * 86_400.0,
        *,
        stats: RefusalCount | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.after = after
        self.ban_s = ban_s
        self.max_s = max_s
        self.stats = stats
        self.clock = clock
        self.bans = 0
        self.banned_until = 0.0
        self._refused_until = 0.0
        self._violations = 0

    def banned_for(self) -> float | None:
        """Seconds left of the current ban (the answer is a 418), None when not banned."""
        left = self.banned_until - self.clock()
        if left <= 0:
            return None
        self._count()
        return left

    def refuse(self, retry_s: float) -> float | None:
        """A request is refused for a limit until ``retry_s`` from now.

        Returns None: answer 429; else the length of the ban it earned: answer 418.
        """
        now = self.clock()
        self._count()
        if now < self._refused_until:
            self._violations += 1
            if self.after and self._violations >= self.after:
                length = min(self.ban_s * 2**self.bans, self.max_s)
                self.bans += 1
                self.banned_until = now + length
                self._violations = 0
                self._refused_until = 0.0
                return length
        else:
            self._violations = 0
        self._refused_until = max(self._refused_until, now + retry_s)
        return None

    def _count(self) -> None:
        if self.stats is not None:
            self.stats.rate_limited += 1
