"""One registry of bench modes (``bench.modes``): what ``bench --help`` lists, light to import."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from typer.testing import CliRunner

from letrade_cli.bench import modes
from letrade_cli.cli.app import app

COMMANDS_NOT_MODES = {"all", "soak"}  # `all` runs every mode; `soak` is a command of its own


def listed_bench_commands() -> dict[str, str]:
    """``letrade bench --help``'s Commands section: name -> its help line."""
    result = CliRunner().invoke(
        app,
        ["bench", "--help"],
        env={"NO_COLOR": "1", "COLUMNS": "200", "TERM": "dumb"},
        terminal_width=200,  # the runner's own terminal is 80 wide
    )
    assert result.exit_code == 0, result.output
    section = result.stdout.split("Commands:")[1]
    rows = (re.match(r"^  (\S+)\s+(.+?)\s*$", line) for line in section.splitlines())
    return {m.group(1): m.group(2) for m in rows if m}


def test_registry_names_are_the_modes_bench_help_lists() -> None:
    listed = listed_bench_commands()
    assert set(listed) - COMMANDS_NOT_MODES == set(modes.names())
    assert set(listed) >= COMMANDS_NOT_MODES
    for mode in modes.MODES:
        assert listed[mode.name] == mode.summary  # the help line comes from the registry


def test_every_registered_target_resolves() -> None:
    assert modes.names() == [
        "startup",
        "cache",
        "ingest",
        "replay",
        "order",
        "e2e",
        "restart",
    ]  # a full run's order
    for mode in (*modes.MODES, modes.LATENCY):
        targets = (mode.render_target, mode.figures_target)
        for target in (mode.run_target, *targets) if mode.run_target else targets:
            assert callable(modes._load(target)), target
    assert modes.for_document("cache") is modes.mode("cache")
    assert modes.for_document("something-else") is modes.LATENCY


def test_bench_help_imports_no_mode_module() -> None:
    code = (
        "import sys, json\n"
        "sys.argv = ['letrade', 'bench', '--help']\n"
        "from letrade_cli.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    loaded = set(json.loads(done.stderr.strip().splitlines()[-1]))
    bench = {m for m in loaded if m.startswith("letrade_cli.bench")}
    assert bench == {"letrade_cli.bench", "letrade_cli.bench.modes"}
    assert not {m for m in loaded if m.split(".")[0] in ("plotly", "aiohttp", "boto3")}
