"""Ctrl-C pressed while a module is being imported lands once the import is done."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SLOW_MODULE = """
import os, signal, time
os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of this module's initialisation
started = time.monotonic()
while time.monotonic() - started < 0.2:
    pass
complete = True
"""

PROGRAM = """
import sys, time
sys.path.insert(0, sys.argv[1])
from letrade_cli.core import interrupts
interrupts.install()
try:
    import slow_module
    started = time.monotonic()
    while time.monotonic() - started < 10:  # the deferred interrupt lands here
        pass
    print("never interrupted")
except KeyboardInterrupt:
    print("interrupted after the import; complete:", sys.modules["slow_module"].complete)
"""


def test_a_ctrl_c_during_an_import_is_raised_after_it(tmp_path: Path) -> None:
    # CI saw a KeyboardInterrupt inside `ssl`'s initialisation come out as a TypeError, and once
    # as a segfault (exit -11 on 3.12): the interrupt now waits for the import to finish.
    (tmp_path / "slow_module.py").write_text(SLOW_MODULE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "interrupted after the import; complete: True"
