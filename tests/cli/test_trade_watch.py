"""`letrade trade watch`, `--wait-fill`, `--order-transport` and `status`'s ack→fill, as run.

A SimExchange runs in a thread on 127.0.0.1 (port 0); the commands reach it with --rest-url.
Tests marked ``private_stream`` need LiveVenue to open the venue's private stream (pushed order
updates); they are skipped, saying so, while LiveVenue has none.
"""

from __future__ import annotations

import inspect
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

import pytest

from letrade_cli.cli.trade import _wait_fill_default
from letrade_cli.trading.live import LiveVenue
from tests.cli.test_trade_cli import (
    API_KEY,
    KEY_PREFIXES,
    LETRADE,
    SECRET,
    SIM_ENV,
    SimThread,
    letrade,
    on_sim,
    one_error_line,
)


def _pushes_updates() -> bool:
    return hasattr(LiveVenue, "stream_state") or "stream_state" in inspect.getsource(LiveVenue)


private_stream = pytest.mark.private_stream
needs_stream = pytest.mark.skipif(
    not _pushes_updates(),
    reason="LiveVenue has no private stream yet (its 'LiveVenue:' commit is not merged)",
)


@pytest.fixture(scope="module")
def pushing_sim(sim: SimThread) -> SimThread:
    """The sim, once LiveVenue's private stream comes up on it (else the test is skipped)."""
    import asyncio

    from letrade_cli.trading.keys import ApiKeys
    from letrade_cli.venues.registry import venue_spec

    async def probe() -> str:
        venue = LiveVenue(
            venue_spec("sim"), ApiKeys(API_KEY, SECRET, source="test"), rest_url=sim.sim.rest_url
        )
        try:
            await venue.start()
            return str(getattr(venue, "stream_state", "off"))
        finally:
            await venue.close()

    state = asyncio.run(probe())
    assert state == "up", f"LiveVenue could not open the sim's account stream (stream {state})"
    return sim


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("profiles") / "watch-sim.yaml"
    path.write_text(
        "venue: sim\n"
        "trading:\n"
        "  keys: {api_key_env: LETRADE_SIM_API_KEY, secret_env: LETRADE_SIM_API_SECRET}\n"
        "  orders: {timeout_s: 2.0, lookup_attempts: 3}\n"
    )
    return str(path)


@pytest.fixture(scope="module")
def sim(profile: str) -> Iterator[SimThread]:
    thread = SimThread(profile)
    thread.start()
    yield thread
    thread.stop()


def _lines(stream: IO[str], into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


class Watch:
    """`letrade trade watch ... --json` in a subprocess, its output read line by line."""

    def __init__(self, sim: SimThread, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(KEY_PREFIXES)}
        env.update({"NO_COLOR": "1", "COLUMNS": "200", **SIM_ENV})
        self.proc = subprocess.Popen(
            [*LETRADE, "trade", "watch", *args, "--json", "--profile", sim.profile,
             "--rest-url", sim.sim.rest_url],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True, env=env,
        )  # fmt: skip
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.out: queue.Queue[str | None] = queue.Queue()
        self.err: queue.Queue[str | None] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=_lines, args=(stream, into), daemon=True).start()

    def ready(self, timeout: float = 30.0) -> None:
        """Wait for the "watching ..." line: the stream is subscribed."""
        while True:
            line = self.err.get(timeout=timeout)
            assert line is not None, f"watch ended early: {''.join(self.stderr)}"
            self.stderr.append(line)
            if line.startswith("watching "):
                return

    def until(self, done: Any, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Read JSON lines until ``done(events)`` holds; return them all."""
        events = [json.loads(line) for line in self.stdout]
        while not done(events):
            line = self.out.get(timeout=timeout)
            assert line is not None, f"watch ended early: {''.join(self.stderr)}"
            self.stdout.append(line)
            events.append(json.loads(line))
        return events

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        self.proc.wait(timeout=30)
        for q, seen in ((self.out, self.stdout), (self.err, self.stderr)):
            while (line := q.get(timeout=10)) is not None:
                seen.append(line)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def test_wait_fill_value_is_optional() -> None:
    bare = ["BTCUSDT", "1", "--wait-fill"]
    assert _wait_fill_default(bare) == [*bare, "30"]
    assert _wait_fill_default(["--wait-fill", "--json"]) == ["--wait-fill", "30", "--json"]
    assert _wait_fill_default(["--wait-fill", "2.5"]) == ["--wait-fill", "2.5"]
    assert _wait_fill_default(["--wait-fill", "-1"]) == ["--wait-fill", "-1"]  # refused later
    assert _wait_fill_default(["--wait-fill=4"]) == ["--wait-fill=4"]
    assert _wait_fill_default(["--", "--wait-fill"]) == ["--", "--wait-fill"]


def test_market_buy_wait_fill_prints_its_fills_and_ack_to_fill(sim: SimThread) -> None:
    done = on_sim(sim, "trade", "buy", "BTCUSDT", "0.01", "--wait-fill", "--json",
                  "--client-id", "wf-market-1")  # fmt: skip
    assert done.returncode == 0, done.stderr
    order = json.loads(done.stdout)
    assert order["status"] == "FILLED" and order["client_order_id"] == "wf-market-1"
    assert order["latency"]["ack_to_fill_ms"] >= 0
    assert order["latency"]["ack_to_fill_from"] == "stamps"
    trades = sim.orders("wf-market-1")[0].trades
    assert sorted(f["trade_id"] for f in order["fills"]) == sorted(str(t.trade_id) for t in trades)
    assert sum(Decimal(f["quantity"]) for f in order["fills"]) == Decimal(order["filled_qty"])

    done = on_sim(sim, "trade", "sell", "BTCUSDT", "0.01", "--wait-fill", "5")
    assert done.returncode == 0, done.stderr
    assert "ack → fill" in done.stdout and "fills" in done.stdout and "trade id" in done.stdout


def test_limit_not_filled_in_time_exits_5_and_stays_open(sim: SimThread) -> None:
    done = on_sim(sim, "trade", "buy", "ETHUSDT", "0.1", "--price", "100", "--wait-fill", "1",
                  "--client-id", "wf-limit-1", "--json")  # fmt: skip
    assert done.returncode == 5, done.stderr
    assert json.loads(done.stdout)["status"] == "NEW"
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [
        "sending buy 0.1 ETHUSDT: client id wf-limit-1",  # named before it is sent
        "not filled within 1s (still open: client id wf-limit-1, 0/0.1 filled)",
    ]
    assert [o.status for o in sim.orders("wf-limit-1")] == ["NEW"]
    assert on_sim(sim, "trade", "cancel", "ETHUSDT", "wf-limit-1").returncode == 0

    # an IOC that cannot fill ends at once: not filled either, and says how it ended
    done = on_sim(sim, "trade", "buy", "ETHUSDT", "0.1", "--price", "100", "--tif", "IOC",
                  "--wait-fill", "5", "--client-id", "wf-ioc-1")  # fmt: skip
    assert done.returncode == 5, done.stderr
    assert "not filled: the order ended EXPIRED" in done.stderr


def test_bad_wait_fill_and_order_transport_are_usage_errors(sim: SimThread) -> None:
    for args in (
        ("buy", "BTCUSDT", "0.01", "--order-transport", "bogus"),
        ("status", "BTCUSDT", "x", "--order-transport", "bogus"),
        ("watch", "--order-transport", "carrier-pigeon"),
        ("buy", "BTCUSDT", "0.01", "--wait-fill", "-1"),
        ("buy", "BTCUSDT", "0.01", "--wait-fill", "--test"),
    ):
        done = on_sim(sim, "trade", *args)
        assert done.returncode == 2, (args, done.stderr)
        line = one_error_line(done)
        assert ("--order-transport" in line and "auto" in line) or "--wait-fill" in line, line
    done = on_sim(sim, "trade", "buy", "BTCUSDT", "0.01", "--order-transport", "REST", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "FILLED"
    bad = sim.profile.replace("watch-sim", "bad-transport")
    with open(bad, "w") as f:
        f.write("venue: sim\ntrading:\n  orders: {order_transport: pigeon}\n")
    done = letrade("trade", "balance", "--profile", bad, "--rest-url", sim.sim.rest_url,
                   in_process=True)  # fmt: skip
    assert done.returncode == 2 and "order_transport" in one_error_line(done)


def test_status_in_another_process_shows_ack_to_fill_from_the_venue(sim: SimThread) -> None:
    assert on_sim(sim, "trade", "buy", "BTCUSDT", "0.01", "--client-id", "st-1").returncode == 0
    done = on_sim(sim, "trade", "status", "BTCUSDT", "st-1", "--json")
    assert done.returncode == 0, done.stderr
    order = json.loads(done.stdout)
    assert order["latency"]["ack_to_fill_from"] == "venue"
    first = min(t.time_ms for t in sim.orders("st-1")[0].trades)
    assert order["latency"]["ack_to_fill_ms"] == first - order["created_ms"]
    assert [f["trade_id"] for f in order["fills"]]
    done = on_sim(sim, "trade", "status", "BTCUSDT", "st-1")
    assert done.returncode == 0, done.stderr
    assert "ack → fill" in done.stdout and "(venue clock)" in done.stdout

    # an order with no fill has no ack→fill
    on_sim(sim, "trade", "buy", "ETHUSDT", "0.1", "--price", "100", "--client-id", "st-open")
    done = on_sim(sim, "trade", "status", "ETHUSDT", "st-open", "--json")
    order = json.loads(done.stdout)
    assert order["latency"]["ack_to_fill_ms"] is None and order["fills"] == []
    on_sim(sim, "trade", "cancel", "ETHUSDT", "st-open")


def test_watch_on_an_embedded_sim_is_refused() -> None:
    done = letrade("trade", "watch", "--venue", "sim", "--duration", "1", in_process=True)
    assert done.returncode == 2
    line = one_error_line(done)
    assert "embedded sim" in line and "letrade sim" in line and "LETRADE_REST_URL" in line
    assert "note: no LETRADE_REST_URL" not in done.stderr  # refused before any sim started


@private_stream
@needs_stream
def test_watch_prints_every_pushed_update_and_each_fill_once(pushing_sim: SimThread) -> None:
    sim = pushing_sim
    everything, eth_only = Watch(sim), Watch(sim, "eth/usdt")
    try:
        everything.ready()
        eth_only.ready()
        done = on_sim(sim, "trade", "buy", "BTCUSDT", "0.02", "--client-id", "w-mkt-1")
        assert done.returncode == 0, done.stderr
        done = on_sim(sim, "trade", "buy", "ETHUSDT", "0.1", "--price", "100",
                      "--client-id", "w-lim-1")  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert on_sim(sim, "trade", "cancel", "ETHUSDT", "w-lim-1").returncode == 0

        def seen(events: list[dict[str, Any]]) -> bool:
            final = {(e["client_order_id"], e["status"]) for e in events}
            return {("w-mkt-1", "FILLED"), ("w-lim-1", "CANCELED")} <= final

        events = everything.until(seen)
        eth = eth_only.until(lambda ev: ("w-lim-1", "CANCELED") in
                             {(e["client_order_id"], e["status"]) for e in ev})  # fmt: skip
        assert everything.stop(signal.SIGTERM) == 143
        assert eth_only.stop(signal.SIGINT) == 130
    finally:
        everything.kill()
        eth_only.kill()

    trades = sim.orders("w-mkt-1")[0].trades
    fills = [e for e in events if e["event"] == "fill" and e["client_order_id"] == "w-mkt-1"]
    assert sorted(f["fill"]["trade_id"] for f in fills) == sorted(str(t.trade_id) for t in trades)
    assert sum(Decimal(f["fill"]["quantity"]) for f in fills) == Decimal("0.02")
    for f in fills:
        assert f["venue"] == "sim" and f["symbol"] == "BTCUSDT" and f["side"] == "BUY"
        assert f["type"] == "MARKET" and f["quantity"] == "0.02" and f["ts_ms"] > 0
    limit = [e for e in events if e["client_order_id"] == "w-lim-1"]
    assert {e["event"] for e in limit} == {"order"} and all(e["fill"] is None for e in limit)
    assert [e["status"] for e in limit][-1] == "CANCELED" and limit[0]["price"] == "100"
    assert {e["symbol"] for e in eth} == {"ETHUSDT"}
    for text in (*everything.stdout, *everything.stderr, *eth_only.stdout, *eth_only.stderr):
        assert "Traceback" not in text and API_KEY not in text and SECRET not in text
    assert everything.stderr[-1].startswith("watched sim: ")


@private_stream
@needs_stream
def test_watch_ends_after_duration_with_exit_0(pushing_sim: SimThread) -> None:
    sim = pushing_sim
    done = on_sim(sim, "trade", "watch", "BTCUSDT", "--json", "--duration", "0.5",
                  in_process=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert all(json.loads(line)["symbol"] == "BTCUSDT" for line in done.stdout.splitlines())
    assert "watching sim" in done.stderr


@private_stream
@needs_stream
def test_wait_fill_on_the_pushed_stream_reports_each_fill_once(pushing_sim: SimThread) -> None:
    sim = pushing_sim
    for transport in ("auto", "rest"):
        cid = f"wf-push-{transport}"
        done = on_sim(sim, "trade", "buy", "BTCUSDT", "0.03", "--wait-fill", "10", "--json",
                      "--client-id", cid, "--order-transport", transport)  # fmt: skip
        assert done.returncode == 0, done.stderr
        order = json.loads(done.stdout)
        trades = sim.orders(cid)[0].trades
        assert sorted(f["trade_id"] for f in order["fills"]) == sorted(
            str(t.trade_id) for t in trades
        )
        assert order["latency"]["ack_to_fill_ms"] >= 0


def _order(cid: str, symbol: str, status: str, filled: str) -> Any:
    from letrade_cli.core.orders import OrderState, OrderStatus, OrderType, Side

    return OrderState(
        venue="sim", symbol=symbol, client_order_id=cid, side=Side.BUY, type=OrderType.LIMIT,
        quantity=Decimal("0.5"), status=OrderStatus(status), price=Decimal("60000"),
        filled_qty=Decimal(filled), fee=Decimal("0.0001"), fee_asset="BTC",
        created_ms=1_700_000_000_000, updated_ms=1_700_000_000_500,
    )  # fmt: skip


def _fill(cid: str, trade_id: str) -> Any:
    from letrade_cli.core.orders import Fill, Side

    return Fill(
        venue="sim", symbol="BTCUSDT", client_order_id=cid, side=Side.BUY,
        price=Decimal("60000.10"), quantity=Decimal("0.25"), fee=Decimal("0.0001"),
        fee_asset="BTC", trade_id=trade_id, ts_ms=1_700_000_000_400, is_maker=True,
    )  # fmt: skip


def test_watch_lines_and_live_table_render_updates() -> None:
    from rich.console import Console

    from letrade_cli.ui.watch import WatchBoard, watch_line
    from letrade_cli.venues.base import SessionCounters

    fill_line = watch_line(_order("c1", "BTCUSDT", "PARTIALLY_FILLED", "0.25"), _fill("c1", "7"), 5)
    assert fill_line == {
        "event": "fill", "venue": "sim", "symbol": "BTCUSDT", "client_order_id": "c1",
        "status": "PARTIALLY_FILLED", "side": "BUY", "type": "LIMIT", "filled_qty": "0.25",
        "quantity": "0.5", "price": "60000",
        "fill": {"trade_id": "7", "price": "60000.1", "quantity": "0.25", "fee": "0.0001",
                 "fee_asset": "BTC", "is_maker": True, "ts_ms": 1_700_000_000_400},
        "ts_ms": 1_700_000_000_400,
    }  # fmt: skip
    order_line = watch_line(_order("c2", "ETHUSDT", "CANCELED", "0"), None, 5)
    assert order_line["event"] == "order" and order_line["fill"] is None
    assert order_line["ts_ms"] == 1_700_000_000_500

    board = WatchBoard("sim")
    board.update(_order("c1", "BTCUSDT", "PARTIALLY_FILLED", "0.25"), _fill("c1", "7"), 5)
    board.update(_order("c1", "BTCUSDT", "FILLED", "0.5"), _fill("c1", "8"), 5)
    board.update(_order("c2", "ETHUSDT", "CANCELED", "0"), None, 5)
    console = Console(record=True, width=160, color_system=None)
    console.print(board.render(stream_state="up", counters=SessionCounters(events=3), left_s=9))
    text = console.export_text()
    assert "c1" in text and "0.5/0.5" in text and "60000.1" in text and "FILLED" in text
    assert "c2" in text and "CANCELED" in text and "9s left" in text
    assert "stream up · 2 orders · 3 updates · 2 fills · events 3" in text


def test_watch_runtime_writes_each_pushed_update(
    sim: SimThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watch command's wiring, with a venue that pushes a few updates when it starts."""
    import asyncio

    import letrade_cli.trading.live as live
    from letrade_cli.venues.base import SessionCounters

    class Pushing(LiveVenue):
        stream_state = "up"
        counters = SessionCounters(events=3, connects=1)

        async def start(self) -> None:
            await super().start()

            def push() -> None:
                for state, fill in (
                    (_order("p1", "BTCUSDT", "NEW", "0"), None),
                    (_order("p1", "BTCUSDT", "PARTIALLY_FILLED", "0.25"), _fill("p1", "1")),
                    (_order("p2", "ETHUSDT", "NEW", "0"), None),  # filtered out
                    (_order("p1", "BTCUSDT", "FILLED", "0.5"), _fill("p1", "2")),
                ):
                    for listener in self._listeners:
                        listener(state, fill)
                os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C: the watch ends, exit 130

            asyncio.get_running_loop().call_soon(push)

    monkeypatch.setattr(live, "LiveVenue", Pushing)
    done = on_sim(sim, "trade", "watch", "BTCUSDT", "--json")
    assert done.returncode == 130, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(e["event"], e["status"]) for e in events] == [
        ("order", "NEW"), ("fill", "PARTIALLY_FILLED"), ("fill", "FILLED"),
    ]  # fmt: skip
    assert [e["fill"]["trade_id"] for e in events if e["fill"]] == ["1", "2"]
    assert "watching sim: order updates and fills of BTCUSDT (private stream up)" in done.stderr
    assert "watched sim: 1 orders, 3 updates, 2 fills" in done.stderr
    assert "Traceback" not in done.stderr


def test_watch_needs_a_private_stream(sim: SimThread, tmp_path: Any) -> None:
    off = tmp_path / "no-stream.yaml"
    off.write_text("venue: sim\ntrading:\n  orders: {private_stream: false}\n")
    done = letrade("trade", "watch", "--profile", str(off), "--rest-url", sim.sim.rest_url,
                   in_process=True)  # fmt: skip
    assert done.returncode == 2
    assert "private_stream: true" in one_error_line(done)


def test_watch_and_wait_fill_help_are_light() -> None:
    for args in (["trade", "watch", "--help"], ["trade", "sell", "--help"]):
        code = (
            "import sys, json\n"
            f"sys.argv = ['letrade', *{args!r}]\n"
            "from letrade_cli.cli.app import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
        )
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
        )
        assert "Usage" in done.stdout
        assert ("--wait-fill" in done.stdout) == ("sell" in args)
        assert "--order-transport" in done.stdout and "Examples" in done.stdout
        modules = json.loads(done.stderr.strip().splitlines()[-1])
        heavy = ("aiohttp", "websockets", "picows", "letrade_cli.venues", "letrade_cli.connector",
                 "letrade_cli.sim", "letrade_cli.trading", "letrade_cli.runtime")  # fmt: skip
        assert [m for m in modules if m.startswith(heavy)] == []
