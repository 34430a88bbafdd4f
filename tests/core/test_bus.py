from __future__ import annotations

import asyncio

import pytest

from letrade_cli.core.bus import Bus


def test_callbacks_in_order_and_unsubscribe() -> None:
    bus: Bus[int] = Bus()
    seen: list[tuple[str, int]] = []
    bus.publish(0)  # no subscribers: nothing happens
    off_a = bus.subscribe(lambda x: seen.append(("a", x)))
    bus.publish(1)
    off_b = bus.subscribe(lambda x: seen.append(("b", x)))
    bus.publish(2)
    off_a()
    off_a()  # idempotent
    bus.publish(3)
    off_b()
    bus.publish(4)
    assert seen == [("a", 1), ("a", 2), ("b", 2), ("b", 3)]
    assert bus.subscriber_count == 0


def test_failing_subscriber_is_counted_and_isolated() -> None:
    bus: Bus[int] = Bus()
    seen: list[int] = []

    def bad(x: int) -> None:
        raise RuntimeError(f"bad {x}")

    bus.subscribe(bad)
    bus.publish(1)  # single-subscriber path
    bus.subscribe(seen.append)
    bus.publish(2)
    assert seen == [2]
    assert bus.errors == 2
    assert str(bus.last_error) == "bad 2"


def test_same_callback_twice_unsubscribes_one() -> None:
    bus: Bus[int] = Bus()
    seen: list[int] = []
    off = bus.subscribe(seen.append)
    bus.subscribe(seen.append)
    off()
    bus.publish(1)
    assert seen == [1]


async def test_queue_receives_and_drops_oldest() -> None:
    bus: Bus[int] = Bus()
    q = bus.subscribe_queue(maxsize=3)
    for i in range(5):
        bus.publish(i)
    assert q.dropped == 2 and q.qsize() == 3
    assert await q.get() == 2
    assert q.drain() == [3, 4]
    assert q.empty()
    with pytest.raises(asyncio.QueueEmpty):
        q.get_nowait()
    q.close()
    q.close()
    bus.publish(9)
    assert q.empty() and bus.subscriber_count == 0


async def test_queue_async_iteration_wakes_consumer() -> None:
    bus: Bus[str] = Bus()
    q = bus.subscribe_queue()
    got: list[str] = []

    async def consume() -> None:
        async for item in q:
            got.append(item)
            if len(got) == 2:
                return

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    bus.publish("x")
    bus.publish("y")
    await asyncio.wait_for(task, 1)
    assert got == ["x", "y"]
