"""In-process fan-out: one publisher, synchronous callbacks and bounded async queues."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class BusQueue(Generic[T]):
    """A bounded queue fed by a Bus; when full, the oldest item is dropped (and counted).

    A slow consumer (a UI redrawing at 10 Hz) then sees the freshest data instead of blocking
    the stream or growing without bound.
    """

    def __init__(self, maxsize: int, unsubscribe: Callable[[], None] | None = None) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._queue: asyncio.Queue[T] = asyncio.Queue(maxsize)
        self._unsubscribe = unsubscribe
        self.dropped = 0

    def offer(self, item: T) -> None:
        """Enqueue without waiting, dropping the oldest item when full."""
        queue = self._queue
        if queue.full():
            queue.get_nowait()
            self.dropped += 1
        queue.put_nowait(item)

    async def get(self) -> T:
        """The next item, waiting for one."""
        return await self._queue.get()

    def get_nowait(self) -> T:
        """The next item; raises ``asyncio.QueueEmpty`` when there is none."""
        return self._queue.get_nowait()

    def drain(self) -> list[T]:
        """Every queued item, oldest first, without waiting."""
        queue = self._queue
        return [queue.get_nowait() for _ in range(queue.qsize())]

    def qsize(self) -> int:
        """Items waiting."""
        return self._queue.qsize()

    def empty(self) -> bool:
        """Whether no item is waiting."""
        return self._queue.empty()

    def close(self) -> None:
        """Stop receiving from the bus (queued items stay readable)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[T]:
        while True:
            yield await self._queue.get()


class Bus(Generic[T]):
    """Delivers every published item to each subscriber, in subscription order.

    A subscriber that raises is counted in ``errors`` (last one kept in ``last_error``)
    and does not stop delivery to the others.
    """

    __slots__ = ("_entries", "_targets", "errors", "last_error")

    def __init__(self) -> None:
        self._entries: list[tuple[object, Callable[[T], None]]] = []
        self._targets: tuple[Callable[[T], None], ...] = ()
        self.errors = 0
        self.last_error: Exception | None = None

    def subscribe(self, callback: Callable[[T], None]) -> Callable[[], None]:
        """Call ``callback(item)`` for every published item; returns the unsubscribe function."""
        token = object()
        self._entries.append((token, callback))
        self._targets = tuple(cb for _, cb in self._entries)

        def unsubscribe() -> None:
            self._entries = [e for e in self._entries if e[0] is not token]
            self._targets = tuple(cb for _, cb in self._entries)

        return unsubscribe

    def subscribe_queue(self, maxsize: int = 10_000) -> BusQueue[T]:
        """A bounded queue receiving every published item (``close()`` it to unsubscribe)."""
        queue: BusQueue[T] = BusQueue(maxsize)
        queue._unsubscribe = self.subscribe(queue.offer)
        return queue

    @property
    def subscriber_count(self) -> int:
        """Callbacks and queues currently subscribed."""
        return len(self._targets)

    def publish(self, item: T) -> None:
        """Deliver ``item`` to every subscriber now (synchronously)."""
        targets = self._targets
        if not targets:
            return
        if len(targets) == 1:
            try:
                targets[0](item)
            except Exception as exc:
                self.errors += 1
                self.last_error = exc
            return
        for target in targets:
            try:
                target(item)
            except Exception as exc:
                self.errors += 1
                self.last_error = exc
