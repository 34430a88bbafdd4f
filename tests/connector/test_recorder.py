"""The frame recorder writes what the replay reads back, byte for byte and to the nanosecond."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


def _record(path: Path, payload: bytes) -> FrameRecorder:
    recorder = FrameRecorder(path, venue="sim")
    recorder.open("ws://127.0.0.1:9/stream")
    recorder.paused = False
    recorder.wrap(lambda frame, recv_ns: None)(payload, 1_796_299_064_565_458_278)
    recorder.mark()
    recorder.close(to_mark=True)
    return recorder


def test_recording_over_a_recording_keeps_the_older_one(tmp_path: Path) -> None:
    # Issue 19: a second `--record FILE` replaced the first recording, with nothing said.
    path = tmp_path / "run.frames"
    assert _record(path, b'{"run":1}').kept_previous is None
    first = path.read_bytes()
    (tmp_path / "run.frames.1").write_bytes(b"someone else's file\n")  # a taken name is skipped
    second = _record(path, b'{"run":2}')
    assert second.kept_previous == tmp_path / "run.frames.2"
    assert (tmp_path / "run.frames.2").read_bytes() == first
    assert (tmp_path / "run.frames.1").read_bytes() == b"someone else's file\n"
    assert b'{"run":2}' in path.read_bytes() and b'{"run":1}' not in path.read_bytes()


def test_without_hard_links_the_older_recording_is_renamed_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")  # what FAT and some shares say

    path = tmp_path / "run.frames"
    _record(path, b'{"run":1}')
    first = path.read_bytes()
    monkeypatch.setattr(os, "link", no_links)
    assert _record(path, b'{"run":2}').kept_previous == tmp_path / "run.frames.1"
    assert (tmp_path / "run.frames.1").read_bytes() == first
