"""`letrade strategy list|new`, `--strategy file.py:Class`, `--param NAME=VALUE` end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from letrade_cli.cli.app import app
from letrade_cli.core.errors import LetradeError
from letrade_cli.trading.synthetic import write_collector_candles

ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
ROOT = Path(__file__).resolve().parents[2]

TYPED = (
    "from letrade_cli.strategy import Param, Side, Signal, Strategy\n"
    "\n"
    "class Every(Strategy):\n"
    "    name = 'every'\n"
    "    every = Param(10, min=1, max=100, help='ticks between orders')\n"
    "\n"
    "    def on_tick(self, tick, ctx):\n"
    "        return []\n"
)


def letrade(
    *args: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {**ENV, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", "from letrade_cli.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("strategy-cli")
    write_collector_candles(root / "data", markets=["BTCUSDT"], minutes=120)
    return root


def _run(data: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    db = str(data / "ledger.sqlite3")
    return letrade(
        "dryrun", "--hours", "1", "--replay", str(data / "data"), "--db", db, *args, cwd=cwd
    )


def _code(done: Any) -> int:
    """The exit code `letrade` gives (main() maps a LetradeError the runner sees to its code)."""
    if isinstance(done.exception, LetradeError):
        return done.exception.exit_code
    return int(done.exit_code)


def _one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_param_overrides_the_profile_and_is_stored(data: Path, tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "trading:\n  strategy:\n    name: sma-cross\n    params: {fast: 3, slow: 20}\n"
    )
    done = _run(data, "--json", "--profile", str(profile), "--param", "slow=25")
    assert done.returncode == 0, done.stderr
    start = orjson.loads(done.stdout.splitlines()[0])
    assert start["config"]["params"] == {"fast": 3, "slow": 25}
    resumed = _run(data, "--resume", start["run_id"], "--param", "fast=4")
    assert "--param is for a new run" in _one_error_line(resumed)


def test_param_bounds_and_malformed_param_exit_2(data: Path) -> None:
    line = _one_error_line(_run(data, "--strategy", "sma-cross", "--param", "fast=0"))
    assert "params.fast" in line and "int from 1 to 10000" in line
    line = _one_error_line(_run(data, "--strategy", "breakout", "--param", "lookback"))
    assert "--param 'lookback' is not name=value" in line and "--param fast=12" in line
    line = _one_error_line(_run(data, "--strategy", "breakout", "--param", "nope=1"))
    assert "no parameter 'nope'" in line and "lookback, exit_lookback" in line


def test_trade_run_takes_param_too(tmp_path: Path) -> None:
    done = letrade(
        "trade", "run", "--minutes", "1", "-s", "BTCUSDT", "--venue", "sim",
        "--db", str(tmp_path / "l.db"), "--strategy", "sma-cross", "--param", "slow=1",
    )  # fmt: skip
    line = _one_error_line(done)
    assert "params.slow" in line and "int from 2 to 100000" in line


def test_strategy_from_a_file_path_and_from_the_cwd(data: Path, tmp_path: Path) -> None:
    (tmp_path / "every_xyz.py").write_text(TYPED)
    by_path = _run(data, "--json", "--strategy", f"{tmp_path}/every_xyz.py:Every", "--param",
                   "every=7")  # fmt: skip
    assert by_path.returncode == 0, by_path.stderr
    start = orjson.loads(by_path.stdout.splitlines()[0])
    assert start["config"]["params"] == {"every": 7}
    by_module = _run(data, "--json", "--strategy", "every_xyz:Every", cwd=tmp_path)
    assert by_module.returncode == 0, by_module.stderr


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        ("import os\n\ndef f(:\n    pass\n", "Rsi", "my_rsi.py:3: invalid syntax"),
        ("import os\nimport no_such_dep_xyz\n", "Rsi", "my_rsi.py:2: ModuleNotFoundError"),
        (TYPED, "Rsi", "my_rsi.py has no class 'Rsi' — its strategies: Every"),
        ("x = 1\nclass Plain:\n    pass\n", "Plain", "my_rsi.py:2: Plain is not a strategy"),
        (
            TYPED + "    def __init__(self, params):\n        raise RuntimeError('boom')\n",
            "Every",
            "my_rsi.py:10: RuntimeError: boom",
        ),
    ],
    ids=["syntax", "import", "missing-class", "not-a-strategy", "init"],
)
def test_broken_strategy_files_are_one_line_with_file_and_line(
    data: Path, tmp_path: Path, text: str, target: str, expected: str
) -> None:
    (tmp_path / "my_rsi.py").write_text(text)
    line = _one_error_line(_run(data, "--strategy", f"my_rsi.py:{target}", cwd=tmp_path))
    assert expected in line, line


def test_strategy_list_table_and_json() -> None:
    done = CliRunner().invoke(app, ["strategy", "list"], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    for word in ("sma-cross", "mean-reversion", "breakout", "fast", "int from 1 to 10000"):
        assert word in done.output
    as_json = CliRunner().invoke(app, ["strategy", "list", "--json"])
    rows = json.loads(as_json.stdout)
    assert [r["name"] for r in rows] == ["sma-cross", "mean-reversion", "breakout", "rsi-reversion"]
    fast = rows[0]["params"][0]
    assert fast == {
        "name": "fast",
        "type": "int",
        "default": 10,
        "min": 1,
        "max": 10000,
        "choices": None,
        "bounds": "int from 1 to 10000",
        "help": "fast moving average, in ticks",
    }


def test_strategy_new_writes_a_strategy_whose_test_passes(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    done = CliRunner().invoke(app, ["strategy", "new", "my_trend", "--dir", str(out)])
    assert done.exit_code == 0, done.output
    assert (out / "my_trend.py").is_file() and (out / "test_my_trend.py").is_file()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    assert "class MyTrend(Strategy)" in (out / "my_trend.py").read_text()
    test = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_trend.py"],
        capture_output=True,
        text=True,
        cwd=out,
        env={**ENV, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert test.returncode == 0, test.stdout + test.stderr
    assert "1 passed" in test.stdout

    again = CliRunner().invoke(app, ["strategy", "new", "my_trend", "--dir", str(out)])
    assert _code(again) == 2 and "already exist" in str(again.exception)
    (out / "my_trend.py").write_text("# edited\n")
    forced = CliRunner().invoke(app, ["strategy", "new", "my_trend", "--dir", str(out), "--force"])
    assert forced.exit_code == 0 and "class MyTrend" in (out / "my_trend.py").read_text()


def test_strategy_new_runs_in_a_dry_run(data: Path, tmp_path: Path) -> None:
    assert (
        CliRunner().invoke(app, ["strategy", "new", "trend", "--dir", str(tmp_path)]).exit_code == 0
    )
    done = _run(data, "--json", "--strategy", f"{tmp_path}/trend.py:Trend", "--param", "window=10")
    assert done.returncode == 0, done.stderr
    events = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert events[0]["config"]["params"] == {"window": 10}
    assert any(e["event"] == "fill" for e in events)


@pytest.mark.parametrize("name", ["1bad", "my-trend", "class", ""])
def test_strategy_new_refuses_a_bad_name(tmp_path: Path, name: str) -> None:
    done = CliRunner().invoke(app, ["strategy", "new", name, "--dir", str(tmp_path)])
    assert _code(done) == 2 and "not a valid module name" in str(done.exception)
    assert list(tmp_path.iterdir()) == []


def test_strategy_help_imports_no_trading_code() -> None:
    code = (
        "import sys, json\n"
        "sys.argv = ['letrade', 'strategy', '--help']\n"
        "from letrade_cli.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    modules = json.loads(done.stderr.strip().splitlines()[-1])
    assert "list" in done.stdout and "new" in done.stdout
    assert not [m for m in modules if m.startswith("letrade_cli.trading")]
