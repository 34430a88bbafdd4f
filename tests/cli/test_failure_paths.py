"""Issue 19's reproductions of bad input: each is one line naming the fix and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from letrade_cli.config.loader import load_yaml_mapping
from letrade_cli.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
RECORDING = ROOT / "tests" / "data" / "upbit.ws.full.txt"


def letrade(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "letrade_cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **env},
    )


def one_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    return errors[0]


def test_a_key_given_twice_in_a_profile_is_refused_naming_both_lines(tmp_path: Path) -> None:
    profile = tmp_path / "dup.yaml"
    profile.write_text("venue: sim\nsymbols: [BTCUSDT]\ntrading:\n  orders: {}\nvenue: upbit\n")
    with pytest.raises(ConfigError, match=r"line 5: 'venue' is given twice \(first at line 1\)"):
        load_yaml_mapping(profile)
    nested = tmp_path / "nested.yaml"
    nested.write_text("trading:\n  risk:\n    cooldown_s: 1\n    cooldown_s: 2\n")
    with pytest.raises(ConfigError, match="line 4: 'cooldown_s' is given twice"):
        load_yaml_mapping(nested)
    line = one_error(letrade("stream", "--profile", str(profile), "--duration", "1"))
    assert "'venue' is given twice" in line


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ("orders:\n    timeout_s: -1", "trading.orders.timeout_s: must be > 0, got -1"),
        (
            "orders:\n    recv_window_ms: 0",
            "trading.orders.recv_window_ms: must be >= 1 and <= 60000",
        ),
        ("paper:\n    fee_bps: -10", "trading.paper.fee_bps: must be >= 0 and <= 10000, got -10"),
        ("risk:\n    cooldown_s: .nan", "trading.risk.cooldown_s: must be >= 0, got nan"),
    ],
)
def test_trading_numbers_no_order_can_use_are_refused(
    tmp_path: Path, setting: str, says: str
) -> None:
    profile = tmp_path / "bad.yaml"
    profile.write_text(f"venue: sim\ntrading:\n  {setting}\n", encoding="utf-8")
    assert says in one_error(letrade("trade", "balance", "--profile", str(profile)))


def test_directories_given_as_files_are_named(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")
    line = one_error(letrade("profiles", "list", LETRADE_PROFILES_DIR=str(a_file)))
    assert f"LETRADE_PROFILES_DIR={a_file} is a file, not a directory of profiles" in line
    line = one_error(letrade("layer-build", "letrade-deps", LETRADE_CACHE_DIR=str(a_file)))
    assert f"LETRADE_CACHE_DIR={a_file} is a file, not a directory" in line


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("ledger") / "l.sqlite3"
    done = letrade("dryrun", "--hours", "1", "--replay", str(RECORDING), "-s", "KRW-LAMB",
                   "--balance", "1000000KRW", "--db", str(db), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    run_id = next(line for line in done.stderr.split() if line.startswith("r") and len(line) == 9)
    return db, run_id


def test_report_refuses_json_and_csv_together(replayed: tuple[Path, str]) -> None:
    db, run_id = replayed
    done = letrade("dryrun", "report", run_id, "--db", str(db), "--json", "--csv")
    assert "--json and --csv exclude each other" in one_error(done)
    assert done.stdout == ""


def test_resume_refuses_another_feed_and_leaves_the_run_as_it_was(
    replayed: tuple[Path, str], tmp_path: Path
) -> None:
    # Reproduction (issue 19): `--resume R --replay FILE` ran on, "finished: 0 ticks", exit 0.
    db, run_id = replayed
    before = db.read_bytes()
    other = tmp_path / "other.txt"
    other.write_bytes(RECORDING.read_bytes())
    done = letrade("dryrun", "--resume", run_id, "--replay", str(other), "--db", str(db))
    assert f"--replay is for a new run: run {run_id} keeps its own" in one_error(done)
    done = letrade("dryrun", "--resume", run_id, "-s", "KRW-BTC", "--db", str(db))
    assert "(symbols: KRW-LAMB)" in one_error(done)
    assert db.read_bytes() == before
