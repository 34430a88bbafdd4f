"""Ctrl-C that is never lost, even when CPython swallows its KeyboardInterrupt.

Python raises KeyboardInterrupt at whatever bytecode runs next. When that is a callback whose
exceptions CPython ignores (the import system's module-lock weakref callback runs after every
import), the interrupt goes to ``sys.unraisablehook``, is printed as "Exception ignored in ..."
with a traceback, and is lost: a command still importing its modules runs on as if nobody had
pressed Ctrl-C. ``install`` adds a hook that remembers such an interrupt instead of printing
it; ``runtime.run`` asks ``take`` before it starts the event loop, and ``cli.app.main`` asks it
when a command ends, so a swallowed Ctrl-C still ends the command with 130.

A Ctrl-C pressed while a module is being imported is never raised at all: the process says
"error: interrupted" and exits 130 on the spot. A KeyboardInterrupt inside an extension's
initialisation has come out as another error (``ssl``) and as a segfault at exit (-11, CI, on
3.11 and 3.12, ``stream`` start-up). Nothing needs closing then: long-lived commands hold the
signals themselves (``runtime.run``), and files are written to a temporary name and renamed.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from letrade_cli.core.errors import exit_interrupted

_pending = False
_signalled = False


def _hook(previous: Any) -> Any:
    def unraisable(info: Any) -> None:
        global _pending
        if isinstance(info.exc_value, KeyboardInterrupt):
            _pending = True  # remembered, not printed: the command ends with 130
            return
        previous(info)

    unraisable.letrade_keeps_interrupts = True  # type: ignore[attr-defined]
    return unraisable


def importing(frame: Any) -> bool:
    """Whether ``frame`` (or a caller of it) runs inside the import system."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _on_sigint(signum: int, frame: Any) -> None:
    """Python's own handler (KeyboardInterrupt), remembering that Ctrl-C was pressed.

    During an import the process ends at once instead (see the module docstring).
    """
    global _signalled
    _signalled = True
    if importing(frame):
        exit_interrupted()
    signal.default_int_handler(signum, frame)


def signalled() -> bool:
    """Whether Ctrl-C was pressed since ``install``.

    A KeyboardInterrupt raised while CPython builds another exception (an ``ImportError`` inside
    ``from _ssl import ...``) can come out as a different error (``TypeError: expected a message
    argument``); ``cli.app.main`` then still ends with the interrupt's one line and 130.
    """
    return _signalled


def install() -> None:
    """Python's own SIGINT handler, plus a hook that keeps a swallowed Ctrl-C (main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGINT, _on_sigint)
    if not getattr(sys.unraisablehook, "letrade_keeps_interrupts", False):
        sys.unraisablehook = _hook(sys.unraisablehook)


def take() -> bool:
    """Whether a swallowed Ctrl-C is waiting (and forget it)."""
    global _pending
    seen, _pending = _pending, False
    return seen
