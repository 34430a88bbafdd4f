"""Writes the frames a live feed receives to a recorded frame file, as ``--replay`` reads it.

The format is that of ``tests/data/README.md``: one ``URL <-> T`` line when the file opens, then
one ``T: PAYLOAD`` line per frame received (``T`` the receive time in seconds with nine decimals,
exact to the nanosecond; a binary frame, or one that is not one line of UTF-8, as a Python bytes
literal). The URL carries ``#venue=NAME`` so the replay knows the venue even when the host does
not name it (a sim on 127.0.0.1); any ``user:password@`` in it is dropped.

The recorder is off the hot path unless it is asked for: the transport calls the pipeline
directly, and only a recording run puts ``FrameRecorder.wrap`` in between. While ``paused``, frames
go to the pipeline only (the run records what its engine is there to act on).

``mark()`` remembers how much of the file has been acted on; ``close(to_mark=True)`` cuts the file
there, so a replay of it sees exactly the frames whose consequences the live run handled.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from letrade_cli.core.errors import ConfigError

log = logging.getLogger(__name__)

FrameHandler = Callable[[bytes | str, int], None]

BUFFER_BYTES = 1 << 16


def strip_userinfo(url: str) -> str:
    """``url`` without any ``user:password@`` (never written or printed)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def format_frame(frame: bytes | str, recv_ns: int) -> bytes:
    """One ``T: PAYLOAD`` line (with its newline)."""
    if isinstance(frame, bytes):
        try:
            text = frame.decode("utf-8")
        except UnicodeDecodeError:
            text = repr(frame)
        else:
            if "\n" in text or "\r" in text or text.startswith(("b'", 'b"')):
                text = repr(frame)
    else:
        text = frame
        if "\n" in text or "\r" in text or text.startswith(("b'", 'b"')):
            text = repr(text.encode("utf-8"))
    seconds, ns = divmod(recv_ns, 1_000_000_000)
    return f"{seconds}.{ns:09d}: {text}\n".encode()


def is_recording(path: Path) -> bool:
    """Whether ``path`` starts like a recorded frame file (its ``URL <-> T`` line)."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(4096)
    except OSError:
        return False
    return b" <-> " in first and b"://" in first.split(b" <-> ", 1)[0]


def _keep_aside(path: Path) -> Path:
    """Move ``path`` to the first free ``PATH.N`` (never over an existing file); the new name."""
    for n in itertools.count(1):
        target = path.with_name(f"{path.name}.{n}")
        try:
            os.link(path, target)  # fails if the name is taken: nothing is ever replaced
        except FileExistsError:
            continue
        except OSError:  # no hard links here (FAT, some network shares): rename if still free
            if target.exists():
                continue
            try:
                path.rename(target)
            except OSError as exc:
                raise ConfigError(
                    f"--record {path}: cannot keep the previous recording as {target}: "
                    f"{exc.strerror}",
                    hint="move it away, or give a new file name",
                ) from None
            return target
        path.unlink()
        return target
    raise AssertionError("unreachable")


class FrameRecorder:
    """Appends received frames to ``path`` (created on ``open``; an older recording kept)."""

    def __init__(self, path: Path | str, *, venue: str) -> None:
        self.path = Path(path)
        self.venue = venue
        self.frames = 0
        self.paused = True
        self._written = 0  # bytes written so far
        self._mark = 0  # bytes acted on (see ``mark``)
        self._mark_frames = 0
        self._handle: IO[bytes] | None = None
        self.kept_previous: Path | None = None  # where ``open`` moved an earlier recording

    def open(self, url: str) -> None:
        """Create the file with its ``URL <-> T`` line.

        An earlier recording at the path is kept as ``PATH.1`` (the first free number, named in
        ``kept_previous``); any other file (a typo, a config file) is refused, never touched.
        """
        self.kept_previous = None
        if self.path.is_file() and self.path.stat().st_size:
            if not is_recording(self.path):
                raise ConfigError(
                    f"--record {self.path}: the file exists and is not a recorded frame file; "
                    "refusing to overwrite it",
                    hint="give a new file name (or a directory for the data store)",
                )
            self.kept_previous = _keep_aside(self.path)
            log.warning("--record %s: kept the previous recording as %s", self.path,
                        self.kept_previous)  # fmt: skip
        try:
            self._handle = self.path.open("wb", buffering=BUFFER_BYTES)
        except OSError as exc:
            raise ConfigError(
                f"--record {self.path}: cannot write it: {exc.strerror}",
                hint="give a file in a directory you can write to",
            ) from None
        url = strip_userinfo(url).split("#", 1)[0]
        seconds, ns = divmod(time.time_ns(), 1_000_000_000)
        self._write(f"{url}#venue={self.venue} <-> {seconds}.{ns:09d}\n".encode())
        self._mark = self._written

    def _write(self, data: bytes) -> None:
        assert self._handle is not None
        self._handle.write(data)
        self._written += len(data)

    def wrap(self, on_frame: FrameHandler) -> FrameHandler:
        """``on_frame`` that also writes each frame (while not paused) before handing it on."""

        def recording(frame: bytes | str, recv_ns: int) -> None:
            if not self.paused and self._handle is not None:
                self._write(format_frame(frame, recv_ns))
                self.frames += 1
            on_frame(frame, recv_ns)

        return recording

    @property
    def kept(self) -> int:
        """Frames the file keeps when it is closed ``to_mark`` (those up to the last mark)."""
        return self._mark_frames

    def mark(self) -> None:
        """Everything written so far has been acted on."""
        self._mark = self._written
        self._mark_frames = self.frames

    def close(self, *, to_mark: bool = False) -> None:
        """Flush and close; ``to_mark``: drop the frames written after the last ``mark``."""
        handle, self._handle = self._handle, None
        if handle is None:
            return
        try:
            if to_mark and self._mark < self._written:
                handle.flush()
                handle.truncate(self._mark)
                self.frames = self._mark_frames
            handle.close()
        except OSError as exc:
            raise ConfigError(f"--record {self.path}: {exc.strerror}") from None
