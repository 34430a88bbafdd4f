"""The console-script entry: Ctrl-C while Python is still importing the CLI exits 130 quietly.

Importing Typer and the root group takes about 100 ms; a SIGINT in that window would otherwise
print a KeyboardInterrupt traceback from deep inside an import. After it, ``cli.app.main`` turns
a KeyboardInterrupt into the same line and 130 (importing nothing), and ``runtime.run`` takes
SIGINT/SIGTERM over for the commands that run an event loop.
"""

from __future__ import annotations

import signal
from types import FrameType

from letrade_cli.core.errors import exit_interrupted


def _interrupted(signum: int, frame: FrameType | None) -> None:
    exit_interrupted()  # nothing is open yet: no cleanup to run


def main() -> None:
    """Import the app with Ctrl-C mapped to a quiet exit 130, then run it as usual."""
    signal.signal(signal.SIGINT, _interrupted)
    from letrade_cli.core.stdio import guard_stdout, reserve_closed_streams

    reserve_closed_streams()  # before anything opens a descriptor that could take 1 or 2
    guard_stdout()
    from letrade_cli.cli.app import main as app_main
    from letrade_cli.core import interrupts

    interrupts.install()  # from here a Ctrl-C is a KeyboardInterrupt, never lost
    app_main()
