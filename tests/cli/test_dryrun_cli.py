"""`letrade dryrun` end to end in a subprocess: run, list, report, bad input, SIGINT, live sim."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from letrade_cli.trading.synthetic import write_collector_candles

ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}


def letrade(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from letrade_cli.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    write_collector_candles(root / "data", markets=["BTCUSDT"], minutes=600)
    return root


def test_run_list_and_report(data: Path) -> None:
    db = str(data / "ledger.sqlite3")
    run = letrade(
        "dryrun",
        "--hours",
        "10",
        "--replay",
        str(data / "data"),
        "--db",
        db,
        "--json",
        "--strategy",
        "breakout",
        "--fee-bps",
        "5",
    )
    assert run.returncode == 0, run.stderr
    events = [orjson.loads(line) for line in run.stdout.splitlines()]
    assert events[0]["event"] == "start" and events[-1]["event"] == "summary"
    run_id = events[0]["run_id"]
    assert events[0]["config"]["fee_bps"] == "5.0"
    assert any(e["event"] == "fill" for e in events)
    assert f"report: letrade dryrun report {run_id} --db {db}" in run.stderr

    listed = letrade("dryrun", "list", "--db", db)
    assert listed.returncode == 0 and run_id in listed.stdout and "finished" in listed.stdout
    report = letrade("dryrun", "report", run_id, "--db", db, "--json")
    assert report.returncode == 0, report.stderr
    body = json.loads(report.stdout)
    assert body["strategy"] == "breakout" and body["trades"] > 0
    assert body["pnl"] == events[-1]["pnl"]
    as_csv = letrade("dryrun", "report", run_id, "--db", db, "--csv")
    assert as_csv.stdout.startswith("metric,value\n") and "\nwin_rate," in as_csv.stdout
    table = letrade("dryrun", "report", run_id, "--db", db)
    assert "max drawdown" in table.stdout and "Sharpe" in table.stdout
    html = data / "r.html"
    page = letrade("dryrun", "report", run_id, "--db", db, "--html", str(html))
    assert page.returncode == 0 and html.stat().st_size > 100_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dryrun", "--replay", "x"], "give --hours and/or --minutes"),
        (["dryrun", "--hours", "1", "--replay", "x", "--speed", "fast"], "--speed 'fast'"),
        (["dryrun", "--hours", "1", "--replay", "x", "--balance", "lots"], "--balance 'lots'"),
        (["dryrun", "--hours", "1", "--replay", "x", "--venue", "sim"], "--venue is for a live"),
        (["dryrun", "--hours", "1", "--replay", "/nonexistent/dir"], "no such file"),
        (["dryrun", "--hours", "1", "--replay", "x", "--strategy", "nope"], "unknown strategy"),
        (["dryrun", "report", "r1", "--db", "/nonexistent/l.sqlite3"], "no ledger at"),
        # Reproductions (issue 19): a traceback, or "finished: 0 ticks" and exit 0.
        (["dryrun", "--hours", "nan", "--replay", "x"], "'--hours': nan is not a finite number"),
        (["dryrun", "--hours", "inf", "--replay", "x"], "'--hours': inf is not a finite number"),
        (["dryrun", "--hours", "1e400", "--replay", "x"], "'--hours': inf is not a finite"),
        (["dryrun", "--minutes", "-5", "--replay", "x"], "--minutes must be a finite number"),
        (["dryrun", "--hours", "1", "--replay", "x", "--fee-bps", "nan"], "'--fee-bps': nan is"),
        (["dryrun", "--hours", "1", "--replay", "x", "--fee-bps", "-10"], "--fee-bps must be"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    out = (
        letrade(*args, "--db", str(tmp_path / "l.sqlite3"))
        if args[1] != "report"
        else letrade(*args)
    )
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_sigint_prints_the_summary_and_exits_130(data: Path) -> None:
    db = str(data / "sigint.sqlite3")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from letrade_cli.cli.app import main; main()",
            "dryrun",
            "--hours",
            "10",
            "--replay",
            str(data / "data"),
            "--speed",
            "1",
            "--db",
            db,
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert proc.stdout is not None
    start = orjson.loads(proc.stdout.readline())
    assert start["event"] == "start"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert f"dry run {start['run_id']} stopped" in err and "report: letrade dryrun report" in err
    assert orjson.loads(out.splitlines()[-1])["completed"] is False


def test_live_on_the_embedded_exchange(tmp_path: Path) -> None:
    out = letrade(
        "dryrun",
        "--minutes",
        "0.05",
        "--venue",
        "sim",
        "--symbols",
        "BTCUSDT,ETHUSDT",
        "--db",
        str(tmp_path / "l.sqlite3"),
        "--json",
    )
    assert out.returncode == 0, out.stderr
    summary = orjson.loads(out.stdout.splitlines()[-1])
    assert summary["event"] == "summary" and summary["ticks"] > 0
    assert summary["source"]["venue"] == "sim"


def test_the_cards_own_command_runs_on_the_sim_with_its_profiles_symbols(tmp_path: Path) -> None:
    # issue 19: `letrade dryrun --hours 24` (no venue, no symbols, no profile) said "no symbols"
    out = letrade("dryrun", "--minutes", "0.05", "--db", str(tmp_path / "l.sqlite3"), "--json")
    assert out.returncode == 0, out.stderr
    summary = orjson.loads(out.stdout.splitlines()[-1])
    assert summary["source"]["venue"] == "sim"
    assert summary["source"]["symbols_requested"] == ["BTCUSDT", "ETHUSDT"]


def test_strategy_params_balance_and_risk_come_from_the_profile(data: Path, tmp_path: Path) -> None:
    profile = tmp_path / "paper.yaml"
    profile.write_text(
        "venue: sim\n"
        "symbols: [BTCUSDT]\n"
        "trading:\n"
        "  paper: {balance: 5000USDT, fee_bps: 2, slippage_bps: 0}\n"
        "  risk: {order_notional: 50, cooldown_s: 0}\n"
        "  strategy:\n"
        "    name: mean-reversion\n"
        "    params: {window: 30, entry_z: 1.5}\n"
    )
    db = str(tmp_path / "l.sqlite3")
    run = letrade("dryrun", "--hours", "10", "--replay", str(data / "data"), "--db", db, "--json",
                  "--profile", str(profile))  # fmt: skip
    assert run.returncode == 0, run.stderr
    start = orjson.loads(run.stdout.splitlines()[0])["config"]
    assert start["strategy"] == "mean-reversion"
    assert start["params"] == {"window": 30, "entry_z": 1.5}
    assert (start["balance"], start["quote"], start["fee_bps"]) == ("5000", "USDT", "2.0")
    assert start["risk"]["order_notional"] == 50
    bad = tmp_path / "bad.yaml"
    bad.write_text("trading:\n  strategy: {name: sma-cross, params: {fast: x}}\n")
    out = letrade("dryrun", "--hours", "1", "--replay", str(data / "data"), "--profile", str(bad),
                  "--db", db)  # fmt: skip
    assert out.returncode == 2 and "params.fast must be a number" in out.stderr


def test_events_that_cannot_be_written_stop_the_run_and_keep_it_resumable(
    data: Path, tmp_path: Path
) -> None:
    # Reproduction (issue 19): a broken stdout must not lose the run or hide that it failed.
    db = str(tmp_path / "ledger.sqlite3")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "letrade_cli", "dryrun", "--hours", "10", "--replay",
             str(data / "data"), "--db", db, "--json"],
            stdout=full, stderr=subprocess.PIPE, text=True, env=ENV, timeout=120,
        )  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "cannot write to standard output" in errors[0]
    run_id = errors[0].split("--resume ", 1)[1].split()[0]
    listed = letrade("dryrun", "list", "--db", db)
    assert run_id in listed.stdout
    resumed = letrade("dryrun", "--resume", run_id, "--db", db, "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert orjson.loads(resumed.stdout.splitlines()[-1])["completed"] is True
