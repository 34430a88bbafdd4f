"""Run ``letrade ARGS...`` with a Ctrl-C at the moment an extension module's init calls Python.

``python interrupt_harness.py TARGET ARGS...``: SIGINT is sent to this process the first time the
C initialisation of extension module TARGET calls back into Python (an import, a type lookup):
the moment a real Ctrl-C would land inside that extension's init. TARGET ``?`` sends nothing and
lists on stderr (``ext:NAME``) the extensions whose init calls Python while Python's own
KeyboardInterrupt handling is in force, i.e. before the event loop holds the signals.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType
from typing import Any

_target, _args = sys.argv[1], sys.argv[2:]
_seen: set[str] = set()
_PRE_LOOP_HANDLERS = ("_signal", "letrade_cli.cli.entry", "letrade_cli.core.interrupts")


def _extension_calling_back(frame: FrameType) -> str | None:
    # An extension's init is called by importlib's _call_with_frames_removed; a Python frame
    # directly below it that is not a module body is that C code calling back into Python.
    caller = frame.f_back
    if caller is None or caller.f_code.co_name != "_call_with_frames_removed":
        return None
    if frame.f_code.co_name == "<module>":
        return None
    spec = (caller.f_locals.get("args") or (None,))[0]
    return getattr(spec, "name", None) or getattr(spec, "__name__", None)


def _before_the_loop() -> bool:
    """Whether SIGINT is still Python's or the CLI's own, not yet held by ``runtime.run``."""
    handler = signal.getsignal(signal.SIGINT)
    return getattr(handler, "__module__", "") in _PRE_LOOP_HANDLERS


def _trace(frame: FrameType, event: str, arg: Any) -> None:
    if event != "call":
        return
    name = _extension_calling_back(frame)
    if name is None or name in _seen:
        return
    _seen.add(name)
    if _target == "?":
        if _before_the_loop():
            os.write(2, f"ext:{name}\n".encode())
    elif name == _target:
        sys.settrace(None)
        os.kill(os.getpid(), signal.SIGINT)


sys.argv = ["letrade", *_args]
sys.settrace(_trace)
from letrade_cli.cli.entry import main  # noqa: E402  (traced from its first import)

main()
