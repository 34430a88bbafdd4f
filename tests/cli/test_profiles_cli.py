"""`letrade profiles list|show|init`, run as a user would (``python -m letrade_cli``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from letrade_cli.config.profiles import BUILTIN_DIR


@pytest.fixture
def run(tmp_path: Path) -> object:
    """Run ``letrade ARGS`` from an empty directory with an empty home."""
    cwd = tmp_path / "cwd"
    home = tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LETRADE_", "XDG_"))}
    env |= {"HOME": str(home), "NO_COLOR": "1", "COLUMNS": "120"}

    def letrade(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "letrade_cli", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return letrade


def test_list_shows_name_origin_and_purpose(run) -> None:  # type: ignore[no-untyped-def]
    done = run("profiles", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["name", "from", "what", "it", "is", "for"]
    sim = next(line for line in lines if line.startswith("sim "))
    assert "built-in" in sim
    assert "embedded exchange" in sim

    rows = json.loads(run("profiles", "list", "--json").stdout)
    assert [r["name"] for r in rows] == ["binance", "binance-testnet", "lambda", "sim", "upbit"]
    assert {r["origin"] for r in rows} == {"built-in"}
    assert all(r["description"] for r in rows)


def test_init_then_list_shows_the_copy_overriding(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    done = run("profiles", "init", "upbit")
    target = tmp_path / "home" / ".config" / "letrade" / "profiles" / "upbit.yaml"
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(target)
    upbit = next(line for line in run("profiles", "list").stdout.splitlines() if "upbit" in line)
    assert "user config (overrides built-in)" in upbit

    again = run("profiles", "init", "upbit")
    assert again.returncode == 2
    assert again.stderr.strip() == (
        f"error: {target} already exists — edit it, or pass --force to overwrite it"
    )
    local = run("profiles", "init", "sim", "--to", "profiles")
    assert local.returncode == 0
    assert (tmp_path / "cwd" / "profiles" / "sim.yaml").is_file()


def test_show_prints_the_file_and_errors_name_the_fix(run) -> None:  # type: ignore[no-untyped-def]
    done = run("profiles", "show", "lambda")
    assert done.returncode == 0
    assert done.stdout == (BUILTIN_DIR / "lambda.yaml").read_text()
    assert str(BUILTIN_DIR / "lambda.yaml") in done.stderr

    missing = run("profiles", "show", "nope")
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: no profile named 'nope' — known profiles: binance,")
    assert "Traceback" not in missing.stderr

    bad = run("profiles", "init", "mine")
    assert bad.returncode == 2
    assert "no built-in profile named 'mine'" in bad.stderr


def test_python_dash_m_is_the_same_tool(run) -> None:  # type: ignore[no-untyped-def]
    from letrade_cli import __version__

    done = run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"letrade {__version__}"
    assert "Usage: letrade " in run("profiles", "--help").stdout


def test_a_profile_that_is_not_utf8_is_one_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Reproduction (issue 19): a non-UTF-8 profile was a UnicodeDecodeError traceback.
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"venue: sim\nsymbols: [BTCUSDT]\n# caf\xe9\n")
    done = run("profiles", "show", str(bad))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "not UTF-8 text (byte 0xe9 on line 3)" in done.stderr
    assert bad.read_bytes().endswith(b"\xe9\n")  # nothing rewritten
