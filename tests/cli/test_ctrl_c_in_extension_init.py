"""Ctrl-C at the moment an extension module initialises, for every one a command loads.

A KeyboardInterrupt raised while orjson's (Rust) module init called back into Python left it
half-built and the process segfaulted at exit (-11, no output; seen in CI on 3.11 and 3.12 as
``test_ctrl_c_while_starting_exits_quietly`` failing now and then). ``interrupt_harness.py``
lands the SIGINT exactly there, for each extension whose init calls Python before the event
loop holds the signals, so the rare race is tested every run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).with_name("interrupt_harness.py")
COMMANDS = {
    "stream": ["stream", "BTCUSDT", "--venue", "sim", "--duration", "0.3"],
    "dryrun": ["dryrun", "--hours", "0.0002", "--db", "ledger.sqlite3"],  # in the test's cwd
}


def _harness(target: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HARNESS), target, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_ctrl_c_inside_any_extension_init_exits_130_with_one_line(
    command: str, tmp_path: Path
) -> None:
    args = COMMANDS[command]
    listed = _harness("?", args, tmp_path)
    assert listed.returncode == 0, listed.stderr
    extensions = [x[4:] for x in listed.stderr.splitlines() if x.startswith("ext:")]
    assert len(extensions) >= 5, extensions  # the harness must reach the inits it is for
    if sys.version_info < (3, 13):
        # The one that crashed. Its init imports json; on 3.13 json is loaded before orjson,
        # so its init calls no Python and has no moment to interrupt.
        assert "orjson.orjson" in extensions
    outcomes = {}
    for extension in extensions:
        done = _harness(extension, args, tmp_path)
        outcomes[extension] = (done.returncode, done.stderr.strip().splitlines())
    expected = (130, ["error: interrupted"])
    assert {name: got for name, got in outcomes.items() if got != expected} == {}
