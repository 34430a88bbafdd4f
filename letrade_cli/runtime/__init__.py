"""One way to run a long-lived command: event loop, signals, exit codes.

``stream``, ``sim``, ``trade`` and ``dryrun`` all run through :func:`run`: uvloop when installed,
SIGINT -> exit 130 and SIGTERM -> exit 143 by setting one stop event (so the command prints its
summary and closes its sockets), and the command's own exit code otherwise.
"""

from letrade_cli.runtime.process import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    RunContext,
    run,
    wait_for_stop,
)

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "RunContext",
    "run",
    "wait_for_stop",
]
