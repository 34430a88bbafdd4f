"""`letrade trade` as a user runs it: real subprocesses against a sim on 127.0.0.1 (port 0)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import pty
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from letrade_cli.sim.server import SimConfig, SimExchange

LETRADE = [sys.executable, "-m", "letrade_cli"]
# Keys of the sim account these tests use; neither may appear in any output.
API_KEY = "tk-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c1e"
SECRET = "ts-2b4d6f8a0c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d"
SIM_ENV = {"LETRADE_SIM_API_KEY": API_KEY, "LETRADE_SIM_API_SECRET": SECRET}
BINANCE_ENV = {"BINANCE_API_KEY": API_KEY, "BINANCE_API_SECRET": SECRET}


class SimThread:
    """A SimExchange on its own event loop in a thread, so CLI subprocesses can reach it."""

    def __init__(self, profile: str) -> None:
        self.profile = profile
        self.sim = SimExchange(
            SimConfig(rate=200.0, seed=3, port=0, api_key=API_KEY, api_secret=SECRET)
        )
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        async def main() -> None:
            self._stop = asyncio.Event()
            await self.sim.start()
            self._ready.set()
            await self._stop.wait()
            await self.sim.stop()

        self._loop.run_until_complete(main())

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(15), "the sim did not start"

    def stop(self) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the sim's loop (fault injection, reading its orders)."""

        async def wrapped() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(10)

    def orders(self, client_id: str) -> list[Any]:
        return self.call(
            lambda: [
                o for o in self.sim.orders.orders["binance"].values() if o.client_id == client_id
            ]
        )


@pytest.fixture(scope="module")
def sim(profile: str) -> Iterator[SimThread]:
    thread = SimThread(profile)
    thread.start()
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Like the shipped sim profile, with short timeouts so injected faults play out quickly."""
    path = tmp_path_factory.mktemp("profiles") / "fast-sim.yaml"
    path.write_text(
        "venue: sim\n"
        "trading:\n"
        "  keys: {api_key_env: LETRADE_SIM_API_KEY, secret_env: LETRADE_SIM_API_SECRET}\n"
        "  orders: {timeout_s: 1.0, lookup_attempts: 3}\n"
    )
    return str(path)


OUTPUTS: list[str] = []  # every stdout/stderr captured in this module, checked for keys at the end


def letrade(
    *args: str,
    env: dict[str, str] | None = None,
    stdin: Any = subprocess.DEVNULL,
    in_process: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `letrade ARGS` in a subprocess (or in this process: same entry point, faster)."""
    if in_process:
        done = _in_process(list(args), env or {})
    else:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(KEY_PREFIXES)}
        full_env.update({"NO_COLOR": "1", "COLUMNS": "200", **(env or {})})
        done = subprocess.run(
            [*LETRADE, *args], capture_output=True, text=True, timeout=90, env=full_env, stdin=stdin
        )
    OUTPUTS.extend([done.stdout, done.stderr])
    return done


KEY_PREFIXES = ("LETRADE_", "BINANCE_", "UPBIT_")


def _in_process(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    from letrade_cli.cli.app import main

    saved_env, saved_argv, saved_stdin = dict(os.environ), sys.argv, sys.stdin
    out, err = io.StringIO(), io.StringIO()
    code: int = 0
    try:
        for key in [k for k in os.environ if k.startswith(KEY_PREFIXES)]:
            del os.environ[key]
        os.environ.update({"NO_COLOR": "1", "COLUMNS": "200", **env})
        sys.argv, sys.stdin = ["letrade", *args], io.StringIO("")  # no TTY
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv, sys.stdin = saved_argv, saved_stdin
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def on_sim(
    sim: SimThread, *args: str, in_process: bool = True, **kw: Any
) -> subprocess.CompletedProcess[str]:
    """Run against the sim with the short-timeout profile and the sim account's variables."""
    return letrade(
        *args,
        "--profile",
        sim.profile,
        "--rest-url",
        sim.sim.rest_url,
        env=SIM_ENV,
        in_process=in_process,
        **kw,
    )


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    return errors[0]


def test_market_buy_then_status_and_balance(sim: SimThread) -> None:
    done = on_sim(sim, "trade", "buy", "btc/usdt", "0.01", "--json")
    assert done.returncode == 0, done.stderr
    order = json.loads(done.stdout)
    assert order["symbol"] == "BTCUSDT" and order["status"] == "FILLED"
    assert order["filled_qty"] == "0.01" and isinstance(order["avg_price"], str)
    assert order["latency"]["send_to_ack_ms"] > 0
    assert len(sim.orders(order["client_order_id"])) == 1

    done = on_sim(sim, "trade", "status", "BTCUSDT", order["client_order_id"], "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["venue_order_id"] == order["venue_order_id"]

    done = on_sim(sim, "trade", "balance", "--json")
    assert done.returncode == 0, done.stderr
    balances = {b["asset"]: b for b in json.loads(done.stdout)}
    assert Decimal(balances["BTC"]["total"]) > 1  # 1 BTC to start plus the buy


def test_limit_order_open_then_cancel_with_tables(sim: SimThread) -> None:
    done = on_sim(
        sim, "trade", "buy", "ETHUSDT", "0.1", "--price", "100", "--client-id", "cli-limit-1"
    )
    assert done.returncode == 0, done.stderr
    assert "cli-limit-1" in done.stdout and "NEW" in done.stdout  # a Rich table
    done = on_sim(sim, "trade", "open", "ETHUSDT")
    assert done.returncode == 0 and "cli-limit-1" in done.stdout
    done = on_sim(sim, "trade", "cancel", "ETHUSDT", "cli-limit-1", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "CANCELED"
    done = on_sim(sim, "trade", "open", "--json")
    assert done.returncode == 0 and "cli-limit-1" not in done.stdout


def test_test_order_validates_only(sim: SimThread) -> None:
    done = on_sim(sim, "trade", "sell", "BTCUSDT", "0.01", "--test", "--client-id", "cli-test-1")
    assert done.returncode == 0, done.stderr
    assert "nothing was placed" in done.stdout
    assert sim.orders("cli-test-1") == []


def test_exit_codes_usage_rejected_network(sim: SimThread) -> None:
    done = on_sim(sim, "trade", "buy", "BTCUSDT", "0.123456")
    assert done.returncode == 2
    assert one_error_line(done).endswith("lot size 0.00001: use 0.12345 or 0.12346")
    done = on_sim(sim, "trade", "buy", "BTCUSDT", "lots")
    assert done.returncode == 2 and "not a number" in one_error_line(done)
    done = on_sim(sim, "trade", "sell", "BTCUSDT", "-1")  # a number, not an unknown option
    assert done.returncode == 2
    assert one_error_line(done) == "error: quantity must be greater than 0, got -1"
    done = on_sim(sim, "trade", "buy", "BTCUSDT", "0.01", "--venue", "kraken")
    assert done.returncode == 2 and "unknown venue" in one_error_line(done)

    done = on_sim(sim, "trade", "sell", "BTCUSDT", "500")
    assert done.returncode == 3
    assert "(code -2010)" in one_error_line(done)

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    done = letrade("trade", "balance", "--venue", "sim", "--rest-url", url, in_process=True)
    assert done.returncode == 4 and "cannot reach" in one_error_line(done)


def test_injected_timeout_leaves_exactly_one_order(sim: SimThread) -> None:
    sim.call(lambda: sim.sim.timeout_next_orders(1, hold_s=4.0))
    done = on_sim(
        sim, "trade", "buy", "BTCUSDT", "0.01", "--client-id", "cli-timeout-1", "--json",
        in_process=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "FILLED"
    assert len(sim.orders("cli-timeout-1")) == 1

    sim.call(lambda: sim.sim.fail_next_orders(1, 502, after_accept=True))
    done = on_sim(sim, "trade", "buy", "BTCUSDT", "0.01", "--client-id", "cli-5xx-1", "--json")
    assert done.returncode == 0, done.stderr
    assert len(sim.orders("cli-5xx-1")) == 1


def test_outcome_that_stays_unknown_exits_4_naming_the_id(sim: SimThread) -> None:
    sim.call(lambda: sim.sim.fail_next_orders(20, 503))
    try:
        done = on_sim(
            sim, "trade", "buy", "BTCUSDT", "0.01", "--client-id", "cli-unknown-1", in_process=False
        )
    finally:
        sim.call(lambda: sim.sim.faults.clear())
    assert done.returncode == 4
    line = one_error_line(done)
    assert "cli-unknown-1" in line and "letrade trade status BTCUSDT cli-unknown-1" in line
    assert sim.orders("cli-unknown-1") == []


def test_live_gating(sim: SimThread) -> None:
    url = ("--rest-url", sim.sim.rest_url)
    done = letrade(
        "trade", "buy", "BTCUSDT", "0.01", "--venue", "binance", *url, env=BINANCE_ENV,
        in_process=True,
    )  # fmt: skip
    assert done.returncode == 2 and "needs --live" in one_error_line(done)
    done = letrade(
        "trade", "buy", "BTCUSDT", "0.01", "--venue", "binance", "--live", *url, env=BINANCE_ENV
    )
    assert done.returncode == 2 and "--yes" in one_error_line(done)  # no TTY, no --yes
    done = letrade(
        "trade", "cancel", "BTCUSDT", "x", "--venue", "upbit", *url, env=BINANCE_ENV,
        in_process=True,
    )  # fmt: skip
    assert done.returncode == 2 and "needs --live" in one_error_line(done)
    args = ("trade", "buy", "BTCUSDT", "0.01", "--venue", "binance", "--live", "--yes", *url)
    done = letrade(*args, "--client-id", "cli-live-1", env=BINANCE_ENV, in_process=True)
    assert done.returncode == 0, done.stderr
    assert len(sim.orders("cli-live-1")) == 1
    # binance-testnet is not real money: no --live needed
    done = letrade(
        "trade", "buy", "BTCUSDT", "0.01", "--venue", "binance-testnet", *url,
        env={"BINANCE_TESTNET_API_KEY": API_KEY, "BINANCE_TESTNET_API_SECRET": SECRET},
        in_process=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("answer", "code"), [("binance\n", 0), ("yes\n", 2)])
def test_typed_confirmation_on_a_tty(sim: SimThread, answer: str, code: int) -> None:
    master, slave = pty.openpty()
    try:
        os.write(master, answer.encode())
        cid = f"cli-tty-{code}"
        done = letrade(
            "trade", "buy", "BTCUSDT", "0.01", "--venue", "binance", "--live",
            "--rest-url", sim.sim.rest_url, "--client-id", cid, env=BINANCE_ENV, stdin=slave,
        )  # fmt: skip
    finally:
        os.close(slave)
        os.close(master)
    assert done.returncode == code, done.stderr
    assert "Type 'binance' to go" in done.stderr
    assert len(sim.orders(cid)) == (1 if code == 0 else 0)


def test_keys_never_appear_in_any_output(sim: SimThread) -> None:
    # Failures too: a wrong secret (-1022), a missing variable, a wrong key.
    bad_secret = {**SIM_ENV, "LETRADE_SIM_API_SECRET": SECRET[::-1]}
    done = letrade(
        "trade", "buy", "BTCUSDT", "0.01", "--profile", "sim", "--rest-url", sim.sim.rest_url,
        env=bad_secret,
    )  # fmt: skip
    assert done.returncode == 3 and "-1022" in one_error_line(done)
    done = letrade(
        "trade", "balance", "--profile", "sim", "--rest-url", sim.sim.rest_url,
        env={"LETRADE_SIM_API_KEY": API_KEY}, in_process=True,
    )  # fmt: skip
    assert done.returncode == 2
    assert "LETRADE_SIM_API_SECRET is not set" in one_error_line(done)
    done = letrade(
        "trade", "open", "--venue", "binance", "--rest-url", sim.sim.rest_url,
        env={"BINANCE_API_KEY": API_KEY + "x", "BINANCE_API_SECRET": SECRET}, in_process=True,
    )  # fmt: skip
    assert done.returncode == 3
    for sub in (("status", "BTCUSDT", "nope"), ("cancel", "BTCUSDT", "x", "--json")):
        assert on_sim(sim, "trade", *sub).returncode == 3
    # every output of this module so far: successes, rejections, usage and network errors
    assert len(OUTPUTS) > 30
    assert all("Traceback" not in t for t in OUTPUTS)
    for text in OUTPUTS:
        assert API_KEY not in text and SECRET not in text
        assert SECRET[::-1] not in text


def test_trade_help_is_light() -> None:
    for args in (["trade", "--help"], ["trade", "buy", "--help"]):
        code = (
            "import sys, json\n"
            f"sys.argv = ['letrade', *{args!r}]\n"
            "from letrade_cli.cli.app import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
        assert "Usage" in done.stdout
        modules = json.loads(done.stderr.strip().splitlines()[-1])
        heavy = ("aiohttp", "websockets", "picows", "boto3", "letrade_cli.venues",
                 "letrade_cli.connector", "letrade_cli.sim", "letrade_cli.trading")  # fmt: skip
        assert [m for m in modules if m.startswith(heavy)] == []


def _letrade_to(stdout: Any, sim: SimThread, *args: str) -> subprocess.CompletedProcess[str]:
    """A subprocess whose stdout is ``stdout`` (``/dev/full``, or closed when None)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(KEY_PREFIXES)}
    full_env.update({"NO_COLOR": "1", **SIM_ENV})
    argv = [*LETRADE, *args, "--profile", sim.profile, "--rest-url", sim.sim.rest_url]
    if stdout is None:  # `>&-`: the child starts with descriptor 1 closed
        script = "import os, sys, subprocess; os.close(1); sys.exit(subprocess.call(sys.argv[1:]))"
        argv = [sys.executable, "-c", script, *argv]
        stdout = subprocess.DEVNULL  # the wrapper's own stdout, closed before the child starts
    done = subprocess.run(
        argv, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=90, env=full_env,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return subprocess.CompletedProcess(argv, done.returncode, "", done.stderr)


def test_an_order_whose_output_cannot_be_written_is_named_and_fails(sim: SimThread) -> None:
    # Reproduction (issue 19): `trade buy ... --json > /dev/full` filled the order, then a
    # traceback and exit 1 without its client id: a script retrying would buy twice.
    with open("/dev/full", "w") as full:
        done = _letrade_to(full, sim, "trade", "buy", "BTCUSDT", "0.01", "--json")
    assert done.returncode == 1, done.stderr
    line = one_error_line(done)
    assert "cannot write to standard output: No space left on device" in line
    sending = [x for x in done.stderr.splitlines() if x.startswith("sending buy 0.01 BTCUSDT")]
    assert len(sending) == 1 and done.stderr.index(sending[0]) < done.stderr.index("error: ")
    cid = sending[0].rsplit("client id ", 1)[1]
    assert f"order {cid} was placed" in line and "do not resend" in line
    assert [o.client_id for o in sim.orders(cid)] == [cid]  # placed once, and named


def test_a_closed_stdout_is_one_line_not_an_abort(sim: SimThread) -> None:
    # Reproduction: with stdout closed (`>&-`) every asyncio command aborted in uvloop (134).
    done = _letrade_to(None, sim, "trade", "balance")
    assert done.returncode == 1, done.stderr
    assert "cannot write to standard output: it is closed" in one_error_line(done)


def test_an_empty_client_id_is_a_usage_error_never_sent(sim: SimThread) -> None:
    # Reproduction (issue 19): `trade status BTCUSDT ''` was sent to the venue (exit 3).
    done = on_sim(sim, "trade", "status", "BTCUSDT", "", in_process=False)
    assert done.returncode == 2
    assert "the client order id is empty" in one_error_line(done)


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        ((), {"LETRADE_REST_URL": "notaurl"}, "LETRADE_REST_URL: 'notaurl'"),
        (("--rest-url", "ftp://u:pw@host"), {}, "--rest-url: 'ftp://***@host'"),
        (("--rest-url", "http://host:99999"), {}, "--rest-url: 'http://host:99999'"),
    ],
)
def test_a_rest_url_that_is_not_one_is_a_usage_error(
    args: tuple[str, ...], env: dict[str, str], named: str
) -> None:
    # Reproduction (issue 19): `LETRADE_REST_URL=notaurl letrade trade balance` was a traceback.
    done = letrade("trade", "balance", *args, env=env)
    assert done.returncode == 2
    line = one_error_line(done)
    assert named in line and "not a valid http:// or https:// URL" in line
    assert "pw" not in done.stderr


def test_a_market_order_below_the_minimum_notional_is_refused_before_sending(
    sim: SimThread,
) -> None:
    # Reproduction (issue 19): exit 3 after sending (the venue's -1013); the filters are ours.
    done = on_sim(sim, "trade", "buy", "BTCUSDT", "0.00001", "--client-id", "tiny-1",
                  in_process=False)  # fmt: skip
    assert done.returncode == 2
    line = one_error_line(done)
    assert "order value" in line and "is below BTCUSDT's minimum" in line
    assert "sending" not in done.stderr  # nothing was sent, and it does not say it was
    assert sim.orders("tiny-1") == []
