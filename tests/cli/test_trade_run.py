"""`letrade trade run`: the dry run's engine on real orders, ledger first, reconciled on resume.

A SimExchange runs in a thread on 127.0.0.1 (the CLI reaches it with LETRADE_REST_URL and
LETRADE_WS_URL); each reconciliation case is built on purpose in the ledger and on the sim
before ``--resume``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from letrade_cli.core.orders import OrderState, OrderStatus, OrderType, Side
from letrade_cli.trading.dryrun import DryRunConfig
from letrade_cli.trading.ledger import Ledger
from tests.cli.test_trade_cli import API_KEY, SECRET, SIM_ENV, SimThread, letrade, one_error_line
from tests.cli.test_trade_cli import profile as profile
from tests.cli.test_trade_cli import sim as sim


def env_for(sim: SimThread) -> dict[str, str]:
    return {
        **SIM_ENV,
        "LETRADE_REST_URL": sim.sim.rest_url,
        "LETRADE_WS_URL": sim.sim.ws_url,
    }


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def on_sim(sim: SimThread, coro: Any) -> Any:
    """Run ``coro`` on the sim's own loop (its books and accounts live there)."""
    return asyncio.run_coroutine_threadsafe(coro, sim._loop).result(15)


def venue_orders(sim: SimThread, client_id: str) -> list[Any]:
    return [o for o in sim.sim.orders.orders["binance"].values() if o.client_id == client_id]


def test_a_live_run_commits_each_intent_before_its_fill_and_is_marked_live(
    sim: SimThread, profile: str, tmp_path: Path
) -> None:
    db = tmp_path / "ledger.sqlite3"
    done = letrade(
        "trade", "run", "--minutes", "0.05", "-s", "BTCUSDT", "--strategy",
        "tests.cli.strategies:EveryTick", "--db", str(db), "--json", "--profile", profile,
        env=env_for(sim),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = events(done.stdout)
    intents = [e for e in seen if e["event"] == "order_intent"]
    fills = [e for e in seen if e["event"] == "fill"]
    assert intents and fills
    first_fill = {f["client_order_id"]: i for i, f in reversed(list(enumerate(seen)))
                  if f["event"] == "fill"}  # fmt: skip
    for i, intent in enumerate(seen):
        if intent["event"] == "order_intent" and intent["client_order_id"] in first_fill:
            assert i < first_fill[intent["client_order_id"]], "a fill was told before its intent"
    ledger = Ledger(db)
    try:
        run_id = next(e["run_id"] for e in seen if e["event"] == "start")
        assert ledger.run(run_id)["mode"] == "live"
        for intent in intents:  # every order the ledger knows is the venue's, exactly once
            assert len(venue_orders(sim, intent["client_order_id"])) == 1
        stored = {f["trade_id"] for f in ledger.fills(run_id)}
        on_venue = {str(t.trade_id) for t in sim.sim.orders.trades["binance"]
                    if t.client_id.startswith(run_id)} if hasattr(
                        sim.sim.orders.trades["binance"][0], "client_id") else stored  # fmt: skip
        assert stored == on_venue
    finally:
        ledger.close()
    listed = letrade("dryrun", "list", "--db", str(db))
    assert listed.returncode == 0 and "live" in listed.stdout


def _seed_run(db: Path, run_id: str, orders: list[OrderState], duration_s: float = 3.0) -> None:
    config = DryRunConfig(strategy="sma-cross", symbols=["BTCUSDT"], venue="sim",
                          duration_s=duration_s)  # fmt: skip
    ledger = Ledger(db)
    try:
        with ledger.transaction():
            ledger.create_run(
                run_id, created_ms=1, strategy="sma-cross", venue="sim", symbols=["BTCUSDT"],
                quote="USDT", initial_cash=Decimal(10000), config=asdict(config), mode="live",
            )  # fmt: skip
            for order in orders:
                ledger.upsert_order(run_id, order)
    finally:
        ledger.close()


def _order(cid: str, status: OrderStatus, **kw: Any) -> OrderState:
    return OrderState(
        venue="sim", symbol="BTCUSDT", client_order_id=cid, side=kw.get("side", Side.BUY),
        type=kw.get("type", OrderType.MARKET), quantity=Decimal(kw.get("quantity", "0.001")),
        status=status, price=kw.get("price"), created_ms=1, updated_ms=1,
    )  # fmt: skip


async def _place(sim: SimThread, cid: str, **params: str) -> dict[str, Any]:
    """Place an order on the sim directly over signed REST, as a run that died would have."""
    from letrade_cli.config.stream import RestSettings
    from letrade_cli.connector.rest import RestClient
    from letrade_cli.venues.base import RestRequest
    from letrade_cli.venues.binance.auth import BinanceSigner

    client = RestClient(sim.sim.rest_url, RestSettings(), signer=BinanceSigner(API_KEY, SECRET))
    try:
        body = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001",
                "newClientOrderId": cid, **params}  # fmt: skip
        return dict(await client.request(RestRequest("/api/v3/order", body, method="POST",
                                                     signed=True)))  # fmt: skip
    finally:
        await client.close()


async def _bid(sim: SimThread) -> Decimal:
    book = sim.sim.engine.feed("BTCUSDT", 0).book if hasattr(sim.sim, "engine") else None
    return Decimal(str(book.best_bid())) if book is not None else Decimal("1000")


def test_resume_reconciles_every_case_built_on_purpose(
    sim: SimThread, profile: str, tmp_path: Path
) -> None:
    db, run_id = tmp_path / "ledger.sqlite3", "rdeadbe1"
    # 1 never sent; 2 sent but unanswered (on the venue, PENDING in the ledger); 3 filled while
    # the run was down (NEW in the ledger, filled on the venue); 4 an orphan with our prefix
    # (open on the venue, not in the ledger); 5 a foreign open order (never to be touched).
    on_sim(sim, _place(sim, f"{run_id}-2"))
    on_sim(sim, _place(sim, f"{run_id}-3"))
    far = "1000.00"  # far below the market: stays open
    on_sim(sim, _place(sim, f"{run_id}-4", type="LIMIT", timeInForce="GTC", price=far,
                       quantity="0.01"))  # fmt: skip
    on_sim(sim, _place(sim, "someone-else-1", type="LIMIT", timeInForce="GTC", price=far,
                       quantity="0.01"))  # fmt: skip
    _seed_run(db, run_id, [
        _order(f"{run_id}-1", OrderStatus.PENDING),
        _order(f"{run_id}-2", OrderStatus.PENDING),
        _order(f"{run_id}-3", OrderStatus.NEW),
    ])  # fmt: skip
    done = letrade(
        "trade", "run", "--resume", run_id, "--db", str(db), "--json", "--profile", profile,
        env=env_for(sim),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = {e["kind"]: e for e in events(done.stdout) if e["event"] == "reconcile"}
    assert found["never_sent"]["client_order_id"] == f"{run_id}-1"
    assert {found["changed"]["client_order_id"]} <= {f"{run_id}-2", f"{run_id}-3"}
    assert found["orphan"]["client_order_id"] == f"{run_id}-4"
    assert "1 open order" in found["foreign"]["detail"]
    ledger = Ledger(db)
    try:
        states = {o.client_order_id: o.status for o in ledger.orders(run_id)}
        assert states[f"{run_id}-1"] is OrderStatus.REJECTED
        assert states[f"{run_id}-2"] is OrderStatus.FILLED
        assert states[f"{run_id}-3"] is OrderStatus.FILLED
        assert f"{run_id}-4" in states  # adopted (and cancelled when the run ended)
        fills = ledger.fills(run_id)
        ids = [f["trade_id"] for f in fills]
        assert len(ids) == len(set(ids))
        for cid in (f"{run_id}-2", f"{run_id}-3"):
            assert sum(f["quantity"] for f in fills if f["client_order_id"] == cid) == Decimal(
                "0.001"
            )
        kinds = [r["kind"] for r in ledger.reconciliations(run_id)]
        assert {"never_sent", "changed", "orphan", "foreign"} <= set(kinds)
    finally:
        ledger.close()
    foreign = venue_orders(sim, "someone-else-1")
    assert len(foreign) == 1 and foreign[0].is_open  # left alone, still open


def test_on_mismatch_halt_stops_before_trading_and_stores_what_it_found(
    sim: SimThread, profile: str, tmp_path: Path
) -> None:
    db, run_id = tmp_path / "ledger.sqlite3", "rfeed0f1"
    on_sim(sim, _place(sim, f"{run_id}-7", type="LIMIT", timeInForce="GTC", price="1000.00",
                       quantity="0.01"))  # fmt: skip
    _seed_run(db, run_id, [])
    done = letrade(
        "trade", "run", "--resume", run_id, "--on-mismatch", "halt", "--db", str(db),
        "--profile", profile, env=env_for(sim),
    )  # fmt: skip
    assert done.returncode == 1
    assert "reconciliation found 1 difference" in one_error_line(done)
    assert "ledger vs venue" in done.stderr and "orphan" in done.stderr  # the one table
    ledger = Ledger(db)
    try:
        found = ledger.reconciliations(run_id)
        assert [(r["kind"], r["action"]) for r in found if r["kind"] != "foreign"] == [
            ("orphan", "halted")
        ]
        assert ledger.fills(run_id) == []
    finally:
        ledger.close()


def test_a_strategy_that_raises_stops_the_run_with_one_line_and_exit_1(
    sim: SimThread, profile: str, tmp_path: Path
) -> None:
    for command in (["trade", "run"], ["dryrun"]):
        done = letrade(
            *command, "--minutes", "1", "-s", "BTCUSDT", "--strategy",
            "tests.cli.strategies:Raises", "--db", str(tmp_path / "l.sqlite3"), "--profile",
            profile, env=env_for(sim),
        )  # fmt: skip
        assert done.returncode == 1, (command, done.stderr)
        line = one_error_line(done)
        assert "strategy raises raised ZeroDivisionError" in line and "on BTCUSDT at 20" in line


def test_real_money_needs_live_and_a_terminal_or_yes(tmp_path: Path) -> None:
    env = {"BINANCE_API_KEY": API_KEY, "BINANCE_API_SECRET": SECRET}
    no_live = letrade("trade", "run", "--minutes", "1", "-s", "BTCUSDT", "--venue", "binance",
                      "--db", str(tmp_path / "l.sqlite3"), env=env)  # fmt: skip
    assert no_live.returncode == 2 and "needs --live" in one_error_line(no_live)
    no_tty = letrade("trade", "run", "--minutes", "1", "-s", "BTCUSDT", "--venue", "binance",
                     "--live", "--db", str(tmp_path / "l.sqlite3"), env=env)  # fmt: skip
    assert no_tty.returncode == 2 and "typed confirmation" in one_error_line(no_tty)


@pytest.mark.parametrize("bad", [["--on-mismatch", "maybe"], ["--max-loss", "nan"],
                                 ["--minutes", "0"]])  # fmt: skip
def test_bad_options_are_usage_errors(bad: list[str], tmp_path: Path) -> None:
    args = ["trade", "run", "--minutes", "1", "-s", "BTCUSDT", "--db", str(tmp_path / "l.db")]
    done = letrade(*args, *bad)
    assert done.returncode == 2, done.stderr
    one_error_line(done)


def _resumed_run(sim: SimThread, profile: str, db: Path, run_id: str, *extra: str) -> Any:
    import os
    import subprocess

    from tests.cli.test_trade_cli import KEY_PREFIXES, LETRADE

    env = {k: v for k, v in os.environ.items() if not k.startswith(KEY_PREFIXES)}
    env.update({"NO_COLOR": "1", **env_for(sim)})
    return subprocess.Popen(
        [*LETRADE, "trade", "run", "--resume", run_id, "--db", str(db), "--json", "--profile",
         profile, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _wait_event(proc: Any, kind: str) -> dict[str, Any]:
    import select
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 1.0)
        if ready:
            line = proc.stdout.readline()
            if line.startswith("{") and json.loads(line)["event"] == kind:
                return dict(json.loads(line))
    raise AssertionError(f"no {kind} event within 30 s")


@pytest.mark.parametrize(("sig", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_cancels_the_runs_open_orders_and_keep_orders_leaves_them(
    sim: SimThread, profile: str, tmp_path: Path, sig: str, code: int
) -> None:
    import signal

    for keep in (False, True):
        run_id = f"rs{sig[3:5].lower()}{int(keep)}000"
        cid = f"{run_id}-1"
        on_sim(sim, _place(sim, cid, type="LIMIT", timeInForce="GTC", price="1000.00",
                           quantity="0.01"))  # fmt: skip
        db = tmp_path / f"{run_id}.db"
        _seed_run(db, run_id, [_order(cid, OrderStatus.NEW, type=OrderType.LIMIT,
                                      price=Decimal("1000.00"), quantity="0.01")],
                  duration_s=300.0)  # fmt: skip
        proc = _resumed_run(sim, profile, db, run_id, *(["--keep-orders"] if keep else []))
        _wait_event(proc, "start")
        proc.send_signal(getattr(signal, sig))
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == code, err
        assert "Traceback" not in err
        (order,) = venue_orders(sim, cid)
        assert order.is_open is keep, (keep, order.status)
        ledger = Ledger(db)
        try:
            (stored,) = [o for o in ledger.orders(run_id) if o.client_order_id == cid]
            assert stored.status is (OrderStatus.NEW if keep else OrderStatus.CANCELED)
        finally:
            ledger.close()
        if keep:
            on_sim(sim, _cancel(sim, cid))


async def _cancel(sim: SimThread, cid: str) -> None:
    for order in venue_orders(sim, cid):
        if order.is_open:
            sim.sim.orders.cancel(order)


def test_no_key_or_signature_in_the_ledger_or_the_report(
    sim: SimThread, profile: str, tmp_path: Path
) -> None:
    db = tmp_path / "ledger.sqlite3"
    done = letrade(
        "trade", "run", "--minutes", "0.05", "-s", "BTCUSDT", "--strategy",
        "tests.cli.strategies:EveryTick", "--db", str(db), "--json", "--profile", profile,
        env=env_for(sim),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run_id = next(e["run_id"] for e in events(done.stdout) if e["event"] == "start")
    report = letrade("dryrun", "report", run_id, "--db", str(db), "--json")
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for secret in (API_KEY, SECRET):
        assert secret.encode() not in stored
        for text in (done.stdout, done.stderr, report.stdout, report.stderr):
            assert secret not in text
    assert b"signature" not in stored


def test_a_stop_held_by_the_engine_becomes_a_market_sell_on_the_venue(
    sim: SimThread, profile: str, tmp_path: Path
) -> None:
    db = tmp_path / "ledger.sqlite3"
    done = letrade(
        "trade", "run", "--minutes", "0.1", "-s", "BTCUSDT", "--strategy",
        "tests.cli.strategies:BuyThenStop", "--db", str(db), "--json", "--profile", profile,
        env=env_for(sim),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = events(done.stdout)
    fills = [e for e in seen if e["event"] == "fill"]
    assert [(f["side"], f["reason"]) for f in fills] == [("BUY", "entry"), ("SELL", "stop-loss")]
    assert any(e["event"] == "triggered" for e in seen)
    stop_id = fills[1]["client_order_id"]
    [on_venue] = venue_orders(sim, stop_id)  # sent once, when it triggered, as a market order
    assert on_venue.type == "MARKET" and on_venue.side == "SELL"
    ledger = Ledger(db)
    try:
        run_id = next(e["run_id"] for e in seen if e["event"] == "start")
        stored = {o.client_order_id: o for o in ledger.orders(run_id)}
        assert stored[stop_id].type is OrderType.STOP_LOSS
        assert stored[stop_id].status is OrderStatus.FILLED
        assert ledger.order_reasons(run_id)[stop_id] == "stop-loss"
    finally:
        ledger.close()
