"""`bench soak` in miniature: real sim process, real proxy, real stream; checks accounting only."""

from __future__ import annotations

import asyncio
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from letrade_cli.bench.fault_proxy import FaultProxy, FrameCursor, text_frame
from letrade_cli.bench.soak import SoakConfig, run_soak

HTTP_101 = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 70_000), min_size=1, max_size=6),
    st.lists(st.integers(1, 5000), min_size=1, max_size=30),
)
def test_frame_cursor_finds_every_boundary_however_the_bytes_are_split(
    sizes: list[int], cuts: list[int]
) -> None:
    frames = []
    for n in sizes:
        header = (
            bytes((0x81, n))
            if n < 126
            else bytes((0x81, 126)) + n.to_bytes(2, "big")
            if n < 65536
            else bytes((0x81, 127)) + n.to_bytes(8, "big")
        )
        frames.append(header + b"x" * n)
    stream = HTTP_101 + b"".join(frames)
    expected = {len(HTTP_101)}
    pos = len(HTTP_101)
    for frame in frames:
        pos += len(frame)
        expected.add(pos)
    cursor, seen, offset, i = FrameCursor(), set(), 0, 0
    while offset < len(stream):
        chunk = stream[offset : offset + cuts[i % len(cuts)]]
        seen.update(offset + b for b in cursor.boundaries(chunk))
        offset += len(chunk)
        i += 1
    assert seen == expected
    assert cursor.at_boundary


async def test_proxy_injects_garbage_between_frames_and_cuts() -> None:
    received = bytearray()

    async def server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(HTTP_101)
        for n in range(200):
            writer.write(text_frame(b'{"n":%d}' % n))
            await writer.drain()
            await asyncio.sleep(0.001)
        await reader.read(1)  # until the proxy cuts us

    upstream = await asyncio.start_server(server, "127.0.0.1", 0)
    proxy = await FaultProxy("127.0.0.1", upstream.sockets[0].getsockname()[1]).start()
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b"GET / HTTP/1.1\r\n\r\n")
    while len(received) < 300:
        received += await asyncio.wait_for(reader.read(4096), 5)
    assert proxy.garbage(2) == 2

    async def read_until_garbage() -> None:
        while b"garbage #2" not in received:
            received.extend(await reader.read(4096))

    await asyncio.wait_for(read_until_garbage(), 5)
    cursor = FrameCursor()
    cursor.boundaries(bytes(received))  # still well-framed: garbage landed between frames
    assert proxy.cut() == 1
    try:
        tail = await asyncio.wait_for(reader.read(), 5)
    except ConnectionResetError:
        tail = b""  # aborted: a reset rather than an orderly end
    assert not tail.endswith(b"}") or b'"n":199' not in tail  # cut before the server finished
    writer.close()
    await proxy.stop()
    upstream.close()
    await upstream.wait_closed()


async def test_a_short_soak_recovers_from_every_fault_and_counts_everything() -> None:
    config = SoakConfig(
        minutes=0.15,
        rate=2000.0,
        faults=("cut", "stall", "garbage", "corrupt"),
        every_s=1.8,
        symbols=3,
        stall_s=2.0,
        garbage_frames=3,
        sample_every_s=4.0,
        seed=random.randrange(1000),
    )
    result = await run_soak(config.validate())
    report = result.as_dict()
    assert result.passed, report["failures"]
    assert set(report["faults_injected"]) == {"cut", "stall", "garbage", "corrupt"}
    assert report["unrecovered"] == 0 and report["recovery_s"]["count"] >= 3
    assert report["stall_detection_s"]["count"] == 1
    assert report["decode_errors"] == report["garbage_frames_injected"] == 3
    assert report["missing_counted"] == report["missing_by_independent_count"]
    assert report["gaps_counted"] >= 1  # the cut lost trades, and they were counted
    assert len(report["samples"]) >= 2 and all(s["rss_mb"] > 0 for s in report["samples"])
