"""Latest tick per key: an LRU bounded in size, with a time-to-live.

``put`` runs once per decoded message, so it does one dict store and one ``move_to_end``;
expiry is checked lazily by ``get`` (an expired entry is removed and counted as a miss).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

from letrade_cli.core.tick import Tick


@dataclass(slots=True, frozen=True)
class CacheStats:
    """A snapshot of a PriceCache's counters."""

    hits: int
    misses: int
    expirations: int
    evictions: int
    size: int
    max_size: int

    @property
    def hit_rate(self) -> float:
        """Hits over lookups, 0.0 before the first lookup."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Counters and ``hit_rate`` as a plain dict (for ``--json`` output)."""
        out: dict[str, float | int] = asdict(self)
        out["hit_rate"] = self.hit_rate
        return out


class PriceCache:
    """LRU + TTL map from a key (usually ``"venue:symbol"``) to its latest Tick.

    An entry is fresh while ``now_ns - stored_ns <= ttl_ns``; ``ttl_ns=None`` never expires.
    Timestamps come from ``clock`` (``time.monotonic_ns``) unless ``now_ns`` is passed.
    """

    __slots__ = (
        "_clock",
        "_data",
        "evictions",
        "expirations",
        "hits",
        "max_size",
        "misses",
        "ttl_ns",
    )

    def __init__(
        self,
        max_size: int = 1000,
        ttl_ns: int | None = 500_000_000,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.max_size = max_size
        self.ttl_ns = ttl_ns
        self._clock = clock
        self._data: OrderedDict[str, tuple[Tick, int]] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.expirations = 0
        self.evictions = 0

    def put(self, key: str, value: Tick, now_ns: int | None = None) -> None:
        """Store ``value`` as the newest entry, evicting the least recently used on overflow."""
        data = self._data
        # A 2-tuple comes from CPython's free list: no real allocation on the hot path.
        data[key] = (value, self._clock() if now_ns is None else now_ns)
        data.move_to_end(key)
        if len(data) > self.max_size:
            data.popitem(last=False)
            self.evictions += 1

    def get(self, key: str, now_ns: int | None = None) -> Tick | None:
        """The fresh value for ``key`` (marking it recently used), or None."""
        data = self._data
        entry = data.get(key)
        if entry is None:
            self.misses += 1
            return None
        ttl = self.ttl_ns
        if ttl is not None:
            now = self._clock() if now_ns is None else now_ns
            if now - entry[1] > ttl:
                del data[key]
                self.misses += 1
                self.expirations += 1
                return None
        data.move_to_end(key)
        self.hits += 1
        return entry[0]

    def peek(self, key: str) -> Tick | None:
        """The stored value even if expired, without counting or touching the LRU order."""
        entry = self._data.get(key)
        return None if entry is None else entry[0]

    def age_ns(self, key: str, now_ns: int | None = None) -> int | None:
        """Nanoseconds since ``key`` was stored, or None when absent."""
        entry = self._data.get(key)
        if entry is None:
            return None
        return (self._clock() if now_ns is None else now_ns) - entry[1]

    def purge_expired(self, now_ns: int | None = None) -> int:
        """Remove every expired entry (housekeeping); returns how many, counted as expirations."""
        ttl = self.ttl_ns
        if ttl is None:
            return 0
        now = self._clock() if now_ns is None else now_ns
        stale = [k for k, (_, stamp) in self._data.items() if now - stamp > ttl]
        for k in stale:
            del self._data[k]
        self.expirations += len(stale)
        return len(stale)

    def items(self) -> Iterator[tuple[str, Tick]]:
        """(key, value) from least to most recently used, expired included, without counting."""
        for key, (value, _) in list(self._data.items()):
            yield key, value

    def clear(self) -> None:
        """Drop every entry (counters are kept)."""
        self._data.clear()

    @property
    def size(self) -> int:
        """Number of stored entries (expired ones included until looked up)."""
        return len(self._data)

    @property
    def hit_rate(self) -> float:
        """Hits over lookups, 0.0 before the first lookup."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0

    def stats(self) -> CacheStats:
        """A snapshot of the counters."""
        return CacheStats(
            self.hits, self.misses, self.expirations, self.evictions, len(self._data), self.max_size
        )

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data
