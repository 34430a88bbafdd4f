"""Files that appear only complete: write to a hidden temporary name, fsync, then rename.

A reader (another process, a crash-restarted run, ``data ls``) never sees half a file: either
the previous version or the new one. The temporary name starts with ``.`` so dataset scanners
that skip hidden files never pick it up.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from letrade_cli.core.errors import ConfigError, LetradeError, UsageError


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # not every platform opens directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_name(path: Path) -> Path:
    """The hidden temporary sibling ``path`` is written to before the rename."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is fsynced and renamed onto ``path``.

    On any failure the temporary file is removed and ``path`` is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_name(path)
    try:
        yield temp
        with temp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_dir(path.parent)


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` through ``write(handle)`` so that it appears only complete."""
    with atomic_path(path) as temp, temp.open("wb") as handle:
        write(handle)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that it appears only complete."""
    with atomic_path(path) as temp, temp.open("wb") as handle:
        handle.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` so that it appears only complete."""
    atomic_write_bytes(path, text.encode("utf-8"))


class FileWriteError(LetradeError):
    """A file letrade produces could not be written; the previous version, if any, is intact."""


def write_failed(
    path: Path, exc: OSError, what: str = "file", hint: str | None = None
) -> FileWriteError:
    """The one line for a write that failed: which file, why, and that nothing was replaced."""
    kept = "the previous one is unchanged" if path.exists() else "nothing was written"
    return FileWriteError(
        f"cannot write {what} {path}: {exc.strerror or exc} ({kept})",
        hint=hint or "free space or choose another path, then run the command again",
    )


def write_output(path: Path, text: str, what: str) -> None:
    """Write a command's output file atomically; a failure is ``FileWriteError`` naming it."""
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise write_failed(path, exc, what) from exc


def check_writable(path: Path, flag: str) -> None:
    """Refuse, before a long run starts, an output ``path`` that cannot be written.

    Raises:
        UsageError: ``path`` is a directory, its parent is a file, or the parent is not writable.
    """
    if path.is_dir():
        raise UsageError(
            f"{flag} {path} is a directory", hint=f"give a file name: {flag} {path}/out"
        )
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent  # the first existing ancestor: the one mkdir would write into
    if not parent.is_dir():
        raise UsageError(f"{flag} {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: {parent} is not writable", hint="choose another path")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{flag} {path} is not writable", hint="choose another path")


def read_utf8(path: Path, what: str, hint: str | None = None) -> str:
    """A text file's contents; a missing, unreadable or non-UTF-8 file is one ``ConfigError``.

    The message names the file, what it is for (``what``) and, for bad bytes, the first one and
    its line, so the user can find it.
    """
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: {what} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line {line})",
            hint=hint or f"save the {what} as UTF-8",
        ) from None
