"""The console-script entry: Ctrl-C while Python is still importing the CLI exits 130 quietly.

Importing Typer, Rich and the command modules takes a few hundred milliseconds; a SIGINT in
that window would otherwise print a KeyboardInterrupt traceback from deep inside an import.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

from letrade_cli.errors import EXIT_INTERRUPTED


def _interrupted(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("error: interrupted\n")
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)  # nothing is open yet: no cleanup to run


def main() -> None:
    """Import the app with Ctrl-C mapped to a quiet exit 130, then run it as usual."""
    previous = signal.signal(signal.SIGINT, _interrupted)
    try:
        from letrade_cli.cli.app import main as app_main
    finally:
        signal.signal(signal.SIGINT, previous)
    app_main()
