"""The frame recorder writes what the replay reads back, byte for byte and to the nanosecond."""

from __future__ import annotations

from pathlib import Path

from letrade_cli.connector.recorder import FrameRecorder, strip_userinfo
from letrade_cli.trading.replay import _recorded_frames, _recorded_venue


def test_frames_round_trip_through_the_replay_reader(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    recorder = FrameRecorder(path, venue="sim")
    recorder.open("ws://u:p@127.0.0.1:9/stream")
    on_frame = recorder.wrap(lambda frame, recv_ns: None)
    on_frame(b'{"a":1}', 1)  # paused: not written
    recorder.paused = False
    frames: list[tuple[int, bytes | str]] = [
        (1_796_299_064_565_458_278, b'{"a":1}'),
        (1_796_299_064_565_458_279, '{"b":2}'),
        (1_796_299_064_600_000_001, b"\x00\xff binary"),
        (1_796_299_064_700_000_000, b"two\nlines"),
    ]
    for recv_ns, frame in frames:
        on_frame(frame, recv_ns)
    recorder.mark()
    on_frame(b'{"after":"the last mark"}', 1_796_299_065_000_000_000)
    recorder.close(to_mark=True)
    assert recorder.frames == 4
    text = path.read_text()
    assert "u:p@" not in text and "after" not in text
    assert _recorded_venue(path) == "sim"
    got = list(_recorded_frames(path))
    assert [t for t, _ in got] == [t for t, _ in frames]
    assert [f if isinstance(f, bytes) else f.encode() for _, f in got] == [
        f if isinstance(f, bytes) else f.encode() for _, f in frames
    ]


def test_userinfo_is_stripped() -> None:
    assert strip_userinfo("https://a:b@h.example:8/x?y") == "https://h.example:8/x?y"
    assert strip_userinfo("ws://127.0.0.1:1/s") == "ws://127.0.0.1:1/s"
