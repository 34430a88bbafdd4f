"""The lazily built root group lists and runs the same commands as an eagerly built one."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import typer
from typer.testing import CliRunner

from letrade_cli.cli.app import app
from letrade_cli.cli.lazy import LAZY_COMMANDS

runner = CliRunner()


def _commands_section(text: str) -> list[str]:
    """The command rows, in any order (the lazy group lists them in LAZY_COMMANDS order)."""
    return sorted(text[text.index("Commands:") :].splitlines())


def test_root_help_lists_what_an_eager_build_lists() -> None:
    eager = typer.Typer(rich_markup_mode=None, add_completion=False)
    for module in dict.fromkeys(LAZY_COMMANDS.values()):
        importlib.import_module(f"letrade_cli.cli.{module}").register(eager)

    @eager.callback()
    def root() -> None:
        """Root."""

    lazy_help = runner.invoke(app, ["--help"], terminal_width=100)
    eager_help = runner.invoke(eager, ["--help"], terminal_width=100)
    assert lazy_help.exit_code == 0 and eager_help.exit_code == 0
    assert _commands_section(lazy_help.output) == _commands_section(eager_help.output)
    for name in LAZY_COMMANDS:
        assert f"  {name} " in lazy_help.output


def test_root_help_builds_no_command_and_a_typo_gets_a_suggestion() -> None:
    code = (
        "import sys, json\n"
        "sys.argv = ['letrade', '--help']\n"
        "import typer.main\n"
        "built = []\n"
        "real = typer.main.get_command_from_info\n"
        "typer.main.get_command_from_info = lambda *a, **k: built.append(1) or real(*a, **k)\n"
        "from letrade_cli.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(len(built)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert json.loads(done.stderr.strip().splitlines()[-1]) == 0
    assert "lambda-invoke" in done.stdout

    typo = runner.invoke(app, ["strem"])
    assert typo.exit_code == 2
    assert "No such command 'strem'. Did you mean 'stream'" in typo.output
