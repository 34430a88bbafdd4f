"""Files letrade produces appear only complete: a write that fails leaves the previous file.

The fault is real: the child runs under ``RLIMIT_FSIZE`` (with ``SIGXFSZ`` ignored), so a write
past the cap fails with EFBIG inside the kernel, as it would on a full disk.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from letrade_cli.bench.output import OutputOptions, publish
from letrade_cli.core.files import FileWriteError

REPO = Path(__file__).resolve().parents[2]
LAMBDA_YAML = REPO / "letrade_cli" / "profiles" / "lambda.yaml"
ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}


def letrade(*args: str, cap_bytes: int | None = None) -> subprocess.CompletedProcess[str]:
    """``letrade ARGS``; with ``cap_bytes`` no file it writes may grow past that size."""

    def cap() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        assert cap_bytes is not None
        resource.setrlimit(resource.RLIMIT_FSIZE, (cap_bytes, cap_bytes))

    return subprocess.run(
        [sys.executable, "-m", "letrade_cli", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        preexec_fn=cap if cap_bytes is not None else None,
    )


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def no_temporaries(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.startswith(".")]


def test_a_package_that_cannot_be_written_leaves_the_previous_zip(tmp_path: Path) -> None:
    # Reproduction (issue 19): lambda-package on a full disk left a 0-byte zip.
    args = (
        "lambda-package",
        "data-collector",
        "--profile",
        str(LAMBDA_YAML),
        "--out",
        str(tmp_path),
    )
    assert letrade(*args).returncode == 0
    good = (tmp_path / "data-collector.zip").read_bytes()
    done = letrade(*args, cap_bytes=256)
    assert done.returncode == 1
    line = one_error_line(done)
    assert f"cannot write the package {tmp_path / 'data-collector.zip'}: File too large" in line
    assert "the previous one is unchanged" in line
    assert (tmp_path / "data-collector.zip").read_bytes() == good
    assert no_temporaries(tmp_path) == []


def test_profiles_init_force_on_a_full_disk_keeps_the_users_profile(tmp_path: Path) -> None:
    # Reproduction (issue 19): `profiles init --force` left a 0-byte profile.
    mine = tmp_path / "sim.yaml"
    mine.write_text("venue: sim  # my edits\n", encoding="utf-8")
    done = letrade("profiles", "init", "sim", "--to", str(tmp_path), "--force", cap_bytes=64)
    assert done.returncode == 1
    line = one_error_line(done)
    assert f"cannot write the profile {mine}: File too large" in line and "--to" in line
    assert mine.read_text(encoding="utf-8") == "venue: sim  # my edits\n"
    assert no_temporaries(tmp_path) == []


@pytest.mark.parametrize("flag", ["--out", "--html"])
def test_bench_refuses_an_unwritable_output_before_the_run(tmp_path: Path, flag: str) -> None:
    # Reproduction (issue 19): `bench --out DIR` failed only after the whole run, results lost.
    done = letrade("bench", "startup", flag, str(tmp_path))
    assert done.returncode == 2
    assert one_error_line(done).startswith(f"error: {flag} {tmp_path} is a directory")


def test_bench_results_reach_stdout_when_the_out_file_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    saved = json.loads((REPO / "benchmarks/results/replay-2026-12-04.json").read_text("utf-8"))
    options = OutputOptions(json_output=True, out=blocker / "results.json")
    stdout = io.StringIO()
    with redirect_stdout(stdout), pytest.raises(FileWriteError, match="cannot write the results"):
        publish(saved, options, None)
    assert json.loads(stdout.getvalue()) == saved  # the figures still reach stdout


RECORDING = REPO / "tests" / "data" / "upbit.ws.full.txt"
REPLAY = ("dryrun", "--hours", "1", "--replay", str(RECORDING), "-s", "KRW-LAMB",
          "--balance", "1000000KRW", "--json")  # fmt: skip


def test_a_full_disk_under_the_ledger_is_one_line_and_the_run_resumes(tmp_path: Path) -> None:
    # Reproduction (issue 19): a full or failing SQLite ledger was a traceback.
    reference = letrade(*REPLAY, "--db", str(tmp_path / "ref.sqlite3"))
    assert reference.returncode == 0, reference.stderr
    expected = json.loads(reference.stdout.splitlines()[-1])["equity"]
    for cap in (150_000, 200_000, 300_000, 500_000):  # the first cap the run outgrows midway
        db = tmp_path / f"capped-{cap}.sqlite3"
        done = letrade(*REPLAY, "--db", str(db), cap_bytes=cap)
        if done.returncode != 0 and "--resume" in done.stderr:
            break
    else:
        pytest.skip("no cap made the ledger fail after the run started")
    assert done.returncode == 1
    line = one_error_line(done)
    assert f"cannot write the ledger {db}" in line and "every earlier commit is kept" in line
    run_id = line.split("--resume ", 1)[1].split()[0]
    resumed = letrade("dryrun", "--resume", run_id, "--db", str(db), "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout.splitlines()[-1])["equity"] == expected  # nothing lost
