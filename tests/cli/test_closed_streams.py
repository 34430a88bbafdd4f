"""Every command group with stdout closed (`>&-`) or full: one line on stderr, never an abort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLOSE_STDOUT = "import os, sys, subprocess; os.close(1); sys.exit(subprocess.call(sys.argv[1:]))"
COMMANDS = {
    "profiles": ("profiles", "list"),
    "venues": ("venues",),
    "strategy": ("strategy", "list"),
    "data": ("data", "ls", "--store", "{tmp}/store"),
    "dryrun": ("dryrun", "--minutes", "0.02", "--db", "{tmp}/l.sqlite3", "--json"),
    "stream": ("stream", "BTCUSDT", "--venue", "sim", "--duration", "0.5", "--json"),
    "lambda": ("lambda-package", "data-collector", "--out", "{tmp}/out", "--json"),
    "sim": ("sim", "--port", "0"),
}


def run(args: tuple[str, ...], tmp: Path, *, closed: bool) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "letrade_cli", *(a.format(tmp=tmp) for a in args)]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    sink = os.devnull if closed else "/dev/full"  # closed: the wrapper's own stdout, unused
    if closed:
        argv = [sys.executable, "-c", CLOSE_STDOUT, *argv]
    with open(sink, "w") as out:
        return subprocess.run(argv, stdout=out, stderr=subprocess.PIPE, text=True, timeout=120,
                              env=env, cwd=tmp, stdin=subprocess.DEVNULL)  # fmt: skip


@pytest.mark.parametrize("closed", [True, False], ids=["closed", "full"])
@pytest.mark.parametrize("group", sorted(COMMANDS))
def test_stdout_that_cannot_be_written_is_one_line_and_exit_1(
    group: str, closed: bool, tmp_path: Path
) -> None:
    done = run(COMMANDS[group], tmp_path, closed=closed)
    assert done.returncode == 1, done.stderr  # not 134 (an abort), not 0 (output lost)
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    why = "it is closed" if closed else "No space left on device"
    assert len(errors) == 1 and f"cannot write to standard output: {why}" in errors[0], done.stderr
