"""Sequence-gap detection per (symbol, channel), kept across reconnects.

A reconnect loses whatever the venue sent while we were away; comparing the first sequence
number after the reconnect with the last one before it is how we count what was lost.
"""

from __future__ import annotations

from collections.abc import Hashable

GapKey = tuple[str, str] | str


class GapDetector:
    """Counts missing messages in sequenced streams.

    Contiguous streams (a trade stream's trade ids) must go ``prev + 1``; a jump
    counts one gap and ``seq - prev - 1`` missing messages. Non-contiguous ones (``bookTicker``
    ``u``) only must not go backwards. In both, going backwards is a ``reset`` (the venue
    restarted its counter) and an equal number a ``duplicate``; neither counts as missing.

    Attributes:
        gaps: Gap events seen.
        missing: Messages missing in total.
        resets: Sequence numbers that went backwards.
        duplicates: Sequence numbers seen twice in a row.
    """

    __slots__ = ("_last", "duplicates", "gaps", "missing", "resets")

    def __init__(self) -> None:
        self._last: dict[Hashable, int] = {}
        self.gaps = 0
        self.missing = 0
        self.resets = 0
        self.duplicates = 0

    def observe(self, key: GapKey, seq: int, contiguous: bool) -> int:
        """Record ``seq`` for ``key``; returns how many messages are missing before it.

        Negative ``seq`` (a channel without sequence numbers) is ignored.
        """
        if seq < 0:
            return 0
        last = self._last
        prev = last.get(key)
        last[key] = seq
        if prev is None or seq == prev + 1:
            return 0
        if seq > prev:
            if not contiguous:
                return 0
            lost = seq - prev - 1
            self.gaps += 1
            self.missing += lost
            return lost
        if seq == prev:
            self.duplicates += 1
        else:
            self.resets += 1
        return 0

    def last(self, key: GapKey) -> int | None:
        """The last sequence number seen for ``key``."""
        return self._last.get(key)

    def forget(self, key: GapKey) -> None:
        """Drop ``key``'s state (unsubscribed); the next number starts it afresh."""
        self._last.pop(key, None)

    def as_dict(self) -> dict[str, int]:
        """Counters as a plain dict."""
        return {
            "gaps": self.gaps,
            "missing": self.missing,
            "resets": self.resets,
            "duplicates": self.duplicates,
            "keys": len(self._last),
        }
