"""`letrade stream` as a user runs it: a real subprocess, real sockets, the embedded sim."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

LETRADE = [sys.executable, "-m", "letrade_cli"]


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [*LETRADE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        stdin=subprocess.DEVNULL,
    )


def assert_one_clean_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_json_lines_from_the_sim() -> None:
    done = run("stream", "BTCUSDT", "eth/usdt", "--venue", "sim", "--json", "--duration", "3")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) >= 50  # 200 msg/s for 3 s, less start-up
    ticks = [json.loads(line) for line in lines]
    assert {t["symbol"] for t in ticks} == {"BTCUSDT", "ETHUSDT"}
    for tick in ticks:
        assert tick["venue"] == "sim"
        assert tick["channel"] in ("bookTicker", "trade", "rest")
        assert isinstance(tick["recv_ns"], int)
        if tick["channel"] == "bookTicker":
            assert tick["bid"] < tick["ask"]
        if tick["channel"] == "trade":
            assert tick["last"] > 0 and tick["event_time_ms"] > 0
    summary = json.loads(done.stderr.strip().splitlines()[-1])
    assert summary["messages"] >= len([t for t in ticks if t["channel"] != "rest"])
    assert summary["latency_us"]["decode_to_cache"]["p99"] is not None
    assert summary["connection_state"] in ("live", "stopped")


def test_summary_table_without_json_goes_to_stderr() -> None:
    done = run("stream", "BTCUSDT", "--venue", "sim", "--duration", "1.5")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "letrade stream summary" in done.stderr
    assert "decode→cache" in done.stderr


def test_unknown_symbol_exit_2_one_line() -> None:
    done = run("stream", "BTCUSDX", "--venue", "sim", "--duration", "1")
    assert done.returncode == 2
    line = assert_one_clean_line(done.stderr)
    assert "unknown symbol 'BTCUSDX'" in line and "BTCUSDT" in line


def test_bad_flag_exit_2() -> None:
    done = run("stream", "BTCUSDT", "--venue", "sim", "--no-such-flag")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "--no-such-flag" in done.stderr


def test_bad_values_exit_2_one_line() -> None:
    for args, expected in (
        (("--venue", "kraken"), "unknown venue 'kraken'"),
        (("--venue", "sim", "--duration", "-1"), "--duration must be greater than 0"),
        (("--venue", "sim", "--channel", "depth"), "unknown channel 'depth'"),
    ):
        done = run("stream", "BTCUSDT", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert expected in assert_one_clean_line(done.stderr)


def test_malformed_profile_exit_2_names_file_and_key(tmp_path: Path) -> None:
    profile = tmp_path / "broken.yaml"
    profile.write_text("venue: sim\ncache:\n  ttl_ms: soon\n")
    done = run("stream", "BTCUSDT", "--profile", str(profile), "--duration", "1")
    assert done.returncode == 2
    line = assert_one_clean_line(done.stderr)
    assert str(profile) in line and "cache.ttl_ms" in line and "'soon'" in line


def test_unreachable_venue_exit_4_names_host_and_suggests_sim() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = run(
        "stream",
        "BTCUSDT",
        "--venue",
        "binance",
        "--duration",
        "2",
        env={
            "LETRADE_REST_URL": f"http://127.0.0.1:{port}",
            "LETRADE_WS_URL": f"ws://127.0.0.1:{port}",
        },
    )
    assert done.returncode == 4
    line = assert_one_clean_line(done.stderr)
    assert f"127.0.0.1:{port}" in line and "--venue sim" in line


def test_sigint_prints_summary_and_exits_130() -> None:
    proc = subprocess.Popen(
        [*LETRADE, "stream", "BTCUSDT", "--venue", "sim", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # blocks until the stream is really flowing
    assert json.loads(first)["symbol"] == "BTCUSDT"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in stderr.decode()
    assert json.loads(stderr.decode().strip().splitlines()[-1])["messages"] >= 1


def test_broken_pipe_exits_quietly() -> None:
    proc = subprocess.Popen(
        [*LETRADE, "stream", "BTCUSDT", "--venue", "sim", "--json", "--duration", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 141  # as if SIGPIPE ended it: what shells and cron expect
    assert b"Traceback" not in stderr and b"BrokenPipe" not in stderr and b"error" not in stderr


def test_ticks_that_cannot_be_written_stop_the_stream_with_one_line() -> None:
    # Reproduction (issue 19): `stream --json > /dev/full` lost every tick and exited 0.
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*LETRADE, "stream", "BTCUSDT", "--venue", "sim", "--json", "--duration", "20"],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=60, stdin=subprocess.DEVNULL,
            env={**os.environ, "NO_COLOR": "1"},
        )  # fmt: skip
    assert done.returncode == 1
    assert "cannot write to standard output: No space left on device" in assert_one_clean_line(
        done.stderr
    )


def test_json_lines_say_where_each_price_came_from_and_its_age() -> None:
    done = run("stream", "BTCUSDT", "--venue", "sim", "--json", "--duration", "1.5")
    assert done.returncode == 0, done.stderr
    ticks = [json.loads(line) for line in done.stdout.splitlines()]
    assert ticks
    for tick in ticks:
        assert tick["source"] == ("rest" if tick["channel"] == "rest" else "stream")
        assert 0 <= tick["age_ms"] < 60_000


def test_bad_durations_are_usage_errors_and_no_duration_runs_until_stopped() -> None:
    for bad in ("nan", "inf"):  # one rule for every float option: finite (no --duration: forever)
        done = run("stream", "BTCUSDT", "--venue", "sim", "--duration", bad)
        assert done.returncode == 2
        assert f"{bad} is not a finite number" in assert_one_clean_line(done.stderr)
    done = run("stream", "BTCUSDT", "--venue", "sim", "--duration", "-1")
    assert done.returncode == 2
    assert "--duration must be greater than 0" in assert_one_clean_line(done.stderr)
    short = run("stream", "BTCUSDT", "--venue", "sim", "--json", "--duration", "0.001")
    assert short.returncode == 0, short.stderr  # the clock starts once the stream answered
    proc = subprocess.Popen(
        [*LETRADE, "stream", "BTCUSDT", "--venue", "sim", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # streaming
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert b"Traceback" not in err


def test_malformed_urls_exit_2_one_line_before_connecting() -> None:
    for env, name in (
        ({"LETRADE_REST_URL": "notaurl"}, "LETRADE_REST_URL"),
        ({"LETRADE_REST_URL": "ftp://example.com"}, "LETRADE_REST_URL"),
        ({"LETRADE_WS_URL": "http://127.0.0.1:9"}, "LETRADE_WS_URL"),
        ({"LETRADE_WS_URL": "ws://127.0.0.1:99999"}, "LETRADE_WS_URL"),
    ):
        done = run("stream", "BTCUSDT", "--venue", "binance", "--duration", "1", env=env)
        assert done.returncode == 2, (env, done.stderr)
        line = assert_one_clean_line(done.stderr)
        assert name in line and next(iter(env.values())) in line


def test_a_stream_that_never_connected_exits_4_even_if_rest_answered() -> None:
    """The sim's REST answers; the WebSocket URL points at a closed port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    sim = subprocess.Popen(
        [*LETRADE, "sim", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
        text=True,
    )
    try:
        assert sim.stdout is not None
        rest_url = json.loads(sim.stdout.readline())["rest_url"]
        done = run(
            "stream",
            "BTCUSDT",
            "--venue",
            "binance",
            "--duration",
            "1.5",
            env={"LETRADE_REST_URL": rest_url, "LETRADE_WS_URL": f"ws://127.0.0.1:{closed_port}"},
        )
    finally:
        sim.send_signal(signal.SIGINT)
        sim.wait(timeout=10)
    assert done.returncode == 4, done.stderr
    line = next(x for x in done.stderr.splitlines() if x.startswith("error: "))
    assert "never connected" in line and f"127.0.0.1:{closed_port}" in line
    assert "Traceback" not in done.stderr


def test_ctrl_c_while_starting_exits_quietly() -> None:
    """SIGINT at moments across start-up (imports, sim start, connect): never a traceback."""
    import time

    for delay in (0.1, 0.2, 0.3, 0.5):
        proc = subprocess.Popen(
            [sys.executable, "-m", "letrade_cli", "stream", "BTCUSDT", "--venue", "sim"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "NO_COLOR": "1"},
        )
        time.sleep(delay)  # the moment the user presses Ctrl-C, not a wait for an event
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()  # never leave a stream running after the suite
            proc.communicate()
            raise
        assert proc.returncode in (130, -signal.SIGINT), (delay, proc.returncode, err)
        assert b"Traceback" not in err, (delay, err)
