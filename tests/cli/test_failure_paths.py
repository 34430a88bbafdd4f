"""Issue 19's reproductions of bad input: each is one line naming the fix and exit 2."""

from __future__ import annotations

import json
import os
import re
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


def test_files_that_are_not_utf8_are_one_line_naming_byte_and_line(tmp_path: Path) -> None:
    # Reproduction (issue 19): non-UTF-8 function sources, --event, --requirements and --replay
    # files were UnicodeDecodeError tracebacks.
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "h.py").write_bytes(b'def handler(e, c):\n    return "\xe9"\n')
    profile = tmp_path / "lambda.yaml"
    profile.write_text("functions:\n  f:\n    source: src\n    handler: h.handler\n")
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\xff\xfe{}\n")
    cases = [
        (("lambda-package", "f", "--profile", str(profile), "--out", str(tmp_path / "out")),
         "function source is not UTF-8 text (byte 0xe9 on line 2)"),
        (("lambda-invoke", "f", "--local", "--profile", str(profile), "--event", str(bad)),
         "--event file is not UTF-8 text (byte 0xff on line 1)"),
        (("layer-build", "letrade-deps", "--requirements", str(bad)),
         "requirements file is not UTF-8 text (byte 0xff on line 1)"),
        (("dryrun", "--hours", "1", "--replay", str(bad), "-s", "BTCUSDT",
          "--db", str(tmp_path / "l.sqlite3")), "not a recorded frame file"),
    ]  # fmt: skip
    for args, says in cases:
        assert says in one_error(letrade(*args)), args


def test_ticks_with_a_negative_price_are_skipped_and_counted(tmp_path: Path) -> None:
    # Reproduction (issue 19): negative prices in replay data were marks and fills.
    lines = RECORDING.read_text(encoding="utf-8").splitlines()
    negative = [re.sub(r'"tp":([0-9.]+)', r'"tp":-\1', line, count=1) for line in lines]
    data = tmp_path / "negative.txt"
    data.write_text("\n".join(negative) + "\n", encoding="utf-8")
    db = str(tmp_path / "l.sqlite3")
    done = letrade("dryrun", "--hours", "1", "--replay", str(data), "-s", "KRW-LAMB",
                   "--balance", "1000000KRW", "--db", db, "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    summary = events[-1]
    assert summary["event"] == "summary" and summary["bad_prices"] > 0
    assert not [e for e in events if e["event"] == "fill"] and summary["pnl"] == "0"
    assert "with a bad price, skipped" in done.stderr


def test_a_piped_run_list_shows_whole_ids_and_rounded_money(replayed: tuple[Path, str]) -> None:
    # Reproduction (issue 19): ids were cut ("rf44c…") and equity had 21 decimals when piped.
    db, run_id = replayed
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "letrade_cli", "dryrun", "list", "--db", str(db)],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if run_id in line)
    assert "…" not in row
    assert re.search(r"│ \d+ KRW │", row), row  # KRW has no decimals


@pytest.mark.parametrize("locked", ["file", "file and folder"])
def test_a_read_only_ledger_is_listed_and_reported(
    replayed: tuple[Path, str], tmp_path: Path, locked: str
) -> None:
    # Reproduction (issue 19): `dryrun list` and `dryrun report` on a ledger nobody may write
    # said "cannot open the ledger …: unable to open database file", exit 1.
    db, run_id = replayed
    folder = tmp_path / "ro"
    folder.mkdir()
    copy = folder / db.name
    copy.write_bytes(db.read_bytes())
    targets = [copy] if locked == "file" else [copy, folder]
    if subprocess.run(["chattr", "+i", *map(str, targets)], capture_output=True).returncode:
        pytest.skip("chattr +i is refused here (needs root and a file system that has it)")
    try:
        listed = letrade("dryrun", "list", "--db", str(copy))
        report = letrade("dryrun", "report", run_id, "--db", str(copy), "--json")
    finally:
        subprocess.run(["chattr", "-i", *map(str, targets)], check=True)
    assert listed.returncode == 0, listed.stderr
    assert run_id in listed.stdout
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["run_id"] == run_id
    assert copy.read_bytes() == db.read_bytes()


def test_sim_stopped_by_sigterm_exits_143_like_every_command() -> None:
    # Reproduction (issue 19): `sim` on SIGTERM exited 0, as if it had finished.
    import signal

    proc = subprocess.Popen(
        [sys.executable, "-m", "letrade_cli", "sim", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        assert json.loads(proc.stdout.readline())["port"] > 0  # listening
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 143
    finally:
        proc.kill()
        proc.communicate()


def test_a_replay_from_an_unreachable_s3_endpoint_is_a_network_error(tmp_path: Path) -> None:
    # Reproduction (issue 19): `--replay s3://…` with the endpoint down exited 2, not 4.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = letrade("dryrun", "--hours", "1", "--replay", "s3://bucket/run.txt", "-s", "BTCUSDT",
                   "--db", str(tmp_path / "l.sqlite3"), AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
                   AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_MAX_ATTEMPTS="1")  # fmt: skip
    assert done.returncode == 4, done.stderr
    assert "cannot list s3://bucket/run.txt" in done.stderr and "Traceback" not in done.stderr


def test_a_key_with_a_newline_is_named_never_sent() -> None:
    # Reproduction (issue 19): a key containing a newline was a traceback from the HTTP library.
    done = letrade("trade", "balance", "--venue", "sim", LETRADE_SIM_API_KEY="abc\ndef",
                   LETRADE_SIM_API_SECRET="s3cr3t-value")  # fmt: skip
    assert done.returncode == 2
    assert "LETRADE_SIM_API_KEY contains a space, newline or control character" in one_error(done)
    assert "abc" not in done.stderr and "s3cr3t-value" not in done.stderr


def test_a_failed_resume_creates_no_ledger(tmp_path: Path) -> None:
    # Reproduction (issue 19): `--resume R --db NEW` created an empty ledger at NEW.
    db = tmp_path / "typo.sqlite3"
    done = letrade("dryrun", "--resume", "rdeadbeef", "--db", str(db))
    assert f"no ledger at {db}" in one_error(done)
    assert list(tmp_path.iterdir()) == []


def test_record_never_truncates_a_file_that_is_not_a_recording(tmp_path: Path) -> None:
    # Found by the issue-19 sweep: `stream --record /etc/passwd` (as root) replaced the file.
    precious = tmp_path / "config.txt"
    precious.write_text("keep me\n", encoding="utf-8")
    done = letrade("stream", "BTCUSDT", "--venue", "sim", "--duration", "1", "--json",
                   "--record", str(precious))  # fmt: skip
    assert "the file exists and is not a recorded frame file" in one_error(done)
    assert precious.read_text(encoding="utf-8") == "keep me\n"
    frames = tmp_path / "run.frames"
    for _ in range(2):  # a second recording keeps the first one beside it
        done = letrade("stream", "BTCUSDT", "--venue", "sim", "--duration", "0.5", "--json",
                       "--record", str(frames))  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert f"kept the previous recording as {frames}.1" in done.stderr
    for kept in (frames, tmp_path / "run.frames.1"):
        assert " <-> " in kept.read_text(encoding="utf-8").splitlines()[0]
