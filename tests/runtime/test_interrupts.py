"""A Ctrl-C whose KeyboardInterrupt CPython swallows (a weakref callback) still ends the command.

The reproduction: ``letrade stream --venue sim`` sent SIGINT 0.3 s after start, under load, ran
on for ever (1 run in 240): the interrupt landed in the import system's module-lock callback and
was printed as "Exception ignored in ... KeyboardInterrupt" instead of raised.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref

from letrade_cli.core import interrupts
from letrade_cli.core.errors import EXIT_INTERRUPTED
from letrade_cli.runtime.process import RunContext, run


def _swallowed_interrupt() -> None:
    """Raise KeyboardInterrupt where CPython ignores exceptions: a weakref callback."""

    class Target:
        pass

    def callback(_ref: object) -> None:
        raise KeyboardInterrupt

    target = Target()
    ref = weakref.ref(target, callback)
    del target
    gc.collect()
    assert ref() is None


def test_a_swallowed_interrupt_is_remembered_not_printed(capsys) -> None:  # type: ignore[no-untyped-def]
    interrupts.install()
    _swallowed_interrupt()
    assert "Traceback" not in capsys.readouterr().err
    assert interrupts.take() is True
    assert interrupts.take() is False  # taken once


def test_run_ends_at_once_with_130_after_a_swallowed_interrupt() -> None:
    interrupts.install()
    _swallowed_interrupt()
    seen: list[bool] = []

    async def main(context: RunContext) -> int:
        seen.append(context.stop.is_set())
        return 0

    assert run(main) == EXIT_INTERRUPTED
    assert seen == [True]  # the command saw the stop before doing anything


def test_the_cli_exits_130_when_a_command_had_its_interrupt_swallowed() -> None:
    code = (
        "import sys, gc, weakref\n"
        "sys.argv = ['letrade', 'venues', '--json']\n"
        "from letrade_cli.cli import entry\n"
        "import letrade_cli.cli.venues as v\n"
        "real = v.venue_rows\n"
        "class T: pass\n"
        "def rows():\n"
        "    t = T(); r = weakref.ref(t, lambda _: (_ for _ in ()).throw(KeyboardInterrupt()))\n"
        "    del t; gc.collect(); return real()\n"
        "v.venue_rows = rows\n"
        "entry.main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_INTERRUPTED, done.stderr
    assert "error: interrupted" in done.stderr
    assert "Traceback" not in done.stderr
