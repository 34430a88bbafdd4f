"""Standard output that cannot fail silently, and closed standard streams that cannot abort us.

``reserve_closed_streams`` runs first thing in the entry: a stream closed by the caller (``>&-``)
gets a placeholder, so no socket the event loop opens later takes descriptor 1 or 2 (uvloop then
aborts). A closed stdout becomes ``/dev/full``: every write to it fails and is reported on
stderr like any other write error.

``guard_stdout`` wraps ``sys.stdout`` so that a failed write (a full disk, ``/dev/full``, an I/O
error) raises ``OutputError``: one line on stderr and exit 1, never a traceback and never a
result silently lost. A reader that went away (``| head``) is ``OutputClosedError``: silent, exit
141 as if SIGPIPE had ended us, which is what shells and cron expect. Either way stdout is then
pointed at ``/dev/null`` so that flushing at exit cannot fail a second time.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from typing import Any

from letrade_cli.core.errors import LetradeError

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE
_closed_at_start: set[int] = set()
_failure: LetradeError | None = None  # the first failed write of this process, kept
_reported = False  # whether its line was printed (by ui.console.print_error)


class OutputError(LetradeError):
    """Standard output could not be written: the result did not reach its reader."""


class OutputClosedError(LetradeError):
    """The reader of standard output went away (a closed pipe): stop quietly, exit 141."""

    exit_code = EXIT_BROKEN_PIPE

    def __init__(self) -> None:
        super().__init__("")


def reserve_closed_streams() -> None:
    """Give a closed fd 1 (``/dev/full``) or fd 2 (``/dev/null``) a placeholder and a stream."""
    for fd, placeholder in ((1, "/dev/full"), (2, os.devnull)):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        target = placeholder if os.path.exists(placeholder) else os.devnull
        opened = os.open(target, os.O_WRONLY)
        if opened != fd:
            os.dup2(opened, fd)
            os.close(opened)
        _closed_at_start.add(fd)
        stream = io.TextIOWrapper(
            io.FileIO(fd, "w", closefd=False), encoding="utf-8", line_buffering=True
        )
        if fd == 1:
            sys.stdout = stream
        else:
            sys.stderr = stream


def guard_stdout() -> None:
    """Wrap ``sys.stdout`` (text and ``.buffer``) so that write failures become ``OutputError``."""
    if sys.stdout is not None and not isinstance(sys.stdout, _GuardedText):
        sys.stdout = _GuardedText(sys.stdout)


def output_failed(exc: OSError) -> LetradeError:
    """The error a failed stdout write becomes; stdout now goes to /dev/null.

    The error is kept: a library that swallows it (Click probes a stream with empty writes and
    ignores what they raise) cannot make the loss silent, because ``flush_stdout`` at the end of
    the command raises it again.
    """
    global _failure
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    if isinstance(exc, BrokenPipeError):
        error: LetradeError = OutputClosedError()
    elif 1 in _closed_at_start:
        error = OutputError(
            "cannot write to standard output: it is closed",
            hint="give the command a stdout (a file, a pipe or /dev/null)",
        )
    else:
        error = OutputError(
            f"cannot write to standard output: {exc.strerror or exc}",
            hint="redirect it to a file on a disk with room, or to /dev/null",
        )
    _failure = _failure or error
    return _failure


def flush_stdout() -> None:
    """Flush ``sys.stdout``; ``OutputError`` when it cannot be written or a write already failed."""
    stream = sys.stdout
    if stream is None:
        return
    try:
        stream.flush()
    except OSError as exc:  # an unguarded stream
        raise output_failed(exc) from None
    except ValueError:  # closed by the command itself
        pass
    if _failure is not None and not _reported:
        raise _failure


def note_reported(message: str) -> None:
    """An error line was printed: when it is the output failure's, do not raise it again."""
    global _reported
    if _failure is not None and message == _failure.message:
        _reported = True


def write_stderr(line: str) -> None:
    """One line on stderr, flushed; nothing when stderr itself cannot be written."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


class _Guarded:
    """Delegates to a stream; ``write`` and ``flush`` turn ``OSError`` into ``OutputError``."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def write(self, data: Any) -> int:
        if _failure is not None and data:
            raise _failure  # the output is already incomplete: never a silent partial result
        try:
            return int(self._inner.write(data))
        except OSError as exc:
            raise output_failed(exc) from None

    def flush(self) -> None:
        try:
            self._inner.flush()
        except OSError as exc:
            raise output_failed(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _GuardedText(_Guarded):
    @property
    def buffer(self) -> _Guarded:
        return _Guarded(self._inner.buffer)
