"""Latency histogram with log-linear buckets (HDR style): O(1) record, <1% percentile error.

Values below 128 ns get a bucket each. Above, every power-of-two range ``[2^k, 2^(k+1))`` is
split into 64 equal sub-buckets, so a bucket is never wider than 1/64 of its lower bound, and
the reported midpoint is within 1/128 (0.8%) of any value in it. The range is 0 .. 2^40 ns
(about 18 minutes); larger values are clamped to the top and counted in ``clamped``.
"""

from __future__ import annotations

import math

_SUB_BITS = 6
_SUB = 1 << _SUB_BITS  # 64 sub-buckets per power of two
_LINEAR_BITS = _SUB_BITS + 1  # values < 128 are exact
_MAX_BITS = 40
MAX_VALUE_NS = (1 << _MAX_BITS) - 1
_NBUCKETS = ((_MAX_BITS - _LINEAR_BITS) << _SUB_BITS) + 2 * _SUB


def bucket_index(value: int) -> int:
    """The bucket of a non-negative value no larger than ``MAX_VALUE_NS``."""
    bits = value.bit_length()
    if bits <= _LINEAR_BITS:
        return value
    shift = bits - _LINEAR_BITS
    return (shift << _SUB_BITS) + (value >> shift)


def bucket_bounds(index: int) -> tuple[int, int]:
    """The inclusive range ``(low, high)`` of values that land in bucket ``index``."""
    if index < 2 * _SUB:
        return index, index
    shift = (index >> _SUB_BITS) - 1
    sub = (index & (_SUB - 1)) + _SUB
    low = sub << shift
    return low, low + (1 << shift) - 1


class LatencyHistogram:
    """Counts of nanosecond latencies; percentiles without keeping the samples.

    Attributes:
        negative: Samples below zero (exchange clock ahead of ours), recorded as 0.
        clamped: Samples above ``MAX_VALUE_NS``, recorded as ``MAX_VALUE_NS``.
    """

    __slots__ = ("_counts", "_max", "_min", "clamped", "negative")

    def __init__(self) -> None:
        self._counts = [0] * _NBUCKETS
        self._min = MAX_VALUE_NS + 1
        self._max = -1
        self.negative = 0
        self.clamped = 0

    def record(self, value_ns: int) -> None:
        """Add one sample (ns)."""
        if value_ns < 0:
            self.negative += 1
            value_ns = 0
        elif value_ns > MAX_VALUE_NS:
            self.clamped += 1
            value_ns = MAX_VALUE_NS
        if value_ns > self._max:
            self._max = value_ns
        if value_ns < self._min:
            self._min = value_ns
        bits = value_ns.bit_length()
        if bits <= _LINEAR_BITS:
            self._counts[value_ns] += 1
        else:
            shift = bits - _LINEAR_BITS
            self._counts[(shift << _SUB_BITS) + (value_ns >> shift)] += 1

    @property
    def count(self) -> int:
        """Number of samples."""
        return sum(self._counts)

    @property
    def min(self) -> int:
        """Smallest sample (exact), 0 when empty."""
        return self._min if self._max >= 0 else 0

    @property
    def max(self) -> int:
        """Largest sample (exact), 0 when empty."""
        return max(self._max, 0)

    def percentile(self, p: float) -> int:
        """The value below or at which ``p`` percent of samples fall (nearest rank), 0 if empty.

        Args:
            p: Percent in 0..100.
        """
        if not 0.0 <= p <= 100.0:
            raise ValueError("percentile must be within 0..100")
        counts = self._counts
        total = sum(counts)
        if total == 0:
            return 0
        rank = max(1, math.ceil(p / 100.0 * total))
        seen = 0
        for index, n in enumerate(counts):
            if n:
                seen += n
                if seen >= rank:
                    low, high = bucket_bounds(index)
                    mid = (low + high + 1) >> 1 if high > low else low
                    return min(max(mid, self._min), self._max)
        return self._max  # pragma: no cover - unreachable: rank <= total

    def summary(self) -> dict[str, int]:
        """``p50``, ``p90``, ``p99``, ``p99_9``, ``max``, ``count``, ``negative`` (ns)."""
        return {
            "p50": self.percentile(50.0),
            "p90": self.percentile(90.0),
            "p99": self.percentile(99.0),
            "p99_9": self.percentile(99.9),
            "max": self.max,
            "count": self.count,
            "negative": self.negative,
        }

    def merge(self, other: LatencyHistogram) -> None:
        """Add another histogram's samples into this one."""
        self._counts = [a + b for a, b in zip(self._counts, other._counts, strict=True)]
        if other._max >= 0:
            self._max = max(self._max, other._max)
            self._min = min(self._min, other._min)
        self.negative += other.negative
        self.clamped += other.clamped

    def reset(self) -> None:
        """Forget every sample."""
        self._counts = [0] * _NBUCKETS
        self._min = MAX_VALUE_NS + 1
        self._max = -1
        self.negative = 0
        self.clamped = 0
