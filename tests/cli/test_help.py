"""Help reads well: examples on every command, flags without ``<bool>``, working completion."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from letrade_cli.cli.app import app


def commands() -> Iterator[tuple[str, ...]]:
    """Every leaf command's path, e.g. ("bench", "ingest")."""

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if hasattr(command, "commands"):  # a group (Typer vendors its own click)
            for name, sub in command.commands.items():
                yield from walk(sub, (*path, name))
        else:
            yield path

    yield from walk(typer.main.get_command(app), ())


def help_text(*path: str) -> str:
    """``letrade PATH --help`` in-process (fast), as a 100-column terminal without colour."""
    result = CliRunner().invoke(
        app, [*path, "--help"], env={"NO_COLOR": "1", "COLUMNS": "100", "TERM": "dumb"}
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def letrade(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "letrade_cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "100", **env},
    )


ALL = sorted(commands())


def test_every_command_is_covered() -> None:
    names = {" ".join(path) for path in ALL}
    assert {"stream", "sim", "bench ingest", "profiles list", "lambda-package"} <= names


@pytest.mark.parametrize("path", [(), *ALL], ids=lambda p: " ".join(p) or "letrade")
def test_help_has_examples_and_plain_flags(path: tuple[str, ...]) -> None:
    text = help_text(*path)
    assert "<bool>" not in text
    assert "--no-no-" not in text
    # one plain style (issue 19): FLOAT, PATH, SYMBOLS..., never <list[str]> or {run_id}
    assert not re.search(r"<[a-z][a-z\[\] ]*>|\{[a-z_]+\}", text), text
    if path:
        examples = text.split("Examples:", 1)[1].split()
        assert examples.count("letrade") >= 1, "every command shows a runnable example"
        assert f"letrade {' '.join(path)}" in " ".join(examples)


def words(text: str) -> str:
    """Help text as one line of words: the table's borders and line wrapping taken out."""
    return " ".join(text.replace("│", " ").split())


def test_environment_variables_are_shown_with_their_options() -> None:
    stream = words(help_text("stream"))
    assert "-p, --profile TEXT Profile name" in stream
    assert "[env var: LETRADE_PROFILE]" in stream
    assert "[env var: LETRADE_VENUE]" in stream
    assert "[default: the first one listed]" in stream  # `letrade venues` names it
    for command in ("lambda-package", "lambda-invoke", "layer-build", "lambda-deploy"):
        assert "env var: LETRADE_LAMBDA_PROFILE" in words(help_text(command)), command


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_for_each_shell(shell: str) -> None:
    done = letrade("--show-completion", shell, _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
    assert done.returncode == 0, done.stderr
    assert f"_LETRADE_COMPLETE=complete_{shell}" in done.stdout


def test_bash_completes_commands_profiles_and_venues() -> None:
    def complete(words: str) -> list[str]:
        cword = str(len(words.split()) - (0 if words.endswith(" ") else 1))
        env = {"_LETRADE_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
        return CliRunner().invoke(app, [], env=env, prog_name="letrade").stdout.split()

    assert complete("letrade prof") == ["profiles"]
    assert complete("letrade stream --profile binance") == ["binance", "binance-testnet"]
    venues = complete("letrade stream --venue ")
    assert sorted(venues) == ["binance", "binance-testnet", "sim", "upbit"]
    assert complete("letrade lambda-package x --profile l") == ["lambda"]


def test_metavars_are_plain_names() -> None:
    stream = words(help_text("stream"))
    assert "Usage: letrade stream [OPTIONS] [SYMBOLS]..." in stream
    assert "SYMBOLS... Symbols:" in stream and "--duration FLOAT Stop" in stream
    assert "╭" not in stream  # one style: plain Click text, like `letrade --help`
    assert "Usage: letrade dryrun report [OPTIONS] RUN_ID" in words(help_text("dryrun", "report"))
    assert "--port INTEGER TCP port" in words(help_text("sim"))
    assert "0<=x<=65535]" in words(help_text("sim"))
