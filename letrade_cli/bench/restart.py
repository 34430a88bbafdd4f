"""``letrade bench restart``: kill -9 and network cuts during `trade run`, then ledger vs venue.

The embedded exchange runs in a thread of this process (its accounts are read directly, so the
audit needs no venue-specific endpoint); each worker puts a ``FaultProxy`` in front of it (REST,
market data and the account session all go through it). One trial, in one worker:

1. ``letrade trade run`` with the bench's order-heavy strategy (:mod:`.chaos_strategy`: market
   orders and resting limits) in a subprocess, ``--json``;
2. 0.2-3 s (seeded) after its first order intent, one fault: ``kill -9`` then ``--resume RUN``
   (the time from spawning the resumed process to its ``reconciled`` event is measured), or the
   network down (every connection cut, new ones refused) or stalled for 0.1-5 s while the run
   keeps going;
3. a little more trading, then SIGTERM (the run cancels its open orders and exits);
4. the audit: the venue's orders and trades carrying the run's client-id prefix against the
   ledger's ``orders`` and ``fills``.

Counted per trial (every one should be 0): duplicated orders (two venue orders for one client
id), orphans (on the venue, unknown to the ledger), untracked (unresolved in the ledger, final on
the venue), left open (still open on the venue after the clean stop), filled mismatches (the
ledger's filled quantity is not the venue's), lost fills (a venue trade the ledger lacks),
double-counted fills (ledger fills beyond the venue's trades), balance mismatches (the ledger's
position against the run's trades on the venue, or one reconciliation reported), and failed runs
(an exit code other than the signal's, or no ``reconciled`` event).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from letrade_cli.bench.common import (
    Metric,
    Progress,
    child_env,
    finish_document,
    latency_summary,
    metric,
    new_document,
)
from letrade_cli.core.histogram import LatencyHistogram

if TYPE_CHECKING:
    from rich.console import Console

    from letrade_cli.bench.fault_proxy import FaultProxy
    from letrade_cli.sim.server import SimExchange

STRATEGY = "letrade_cli.bench.chaos_strategy:Chaos"
COUNTS = (
    "duplicated",
    "orphaned",
    "untracked",
    "left_open",
    "filled_mismatch",
    "lost_fills",
    "double_fills",
    "balance_mismatch",
    "failed_runs",
)
TARGET_TRIALS = 500
TARGET_RECONCILED_P99_MS = 1000.0
EVENT_TIMEOUT_S = 30.0
EXIT_TIMEOUT_S = 30.0
SIGTERM_EXIT = (0, 128 + signal.SIGTERM)
UNRESOLVED = ("PENDING", "NEW", "PARTIALLY_FILLED")


@dataclass(slots=True)
class RestartBenchConfig:
    """Trials per dialect, which dialects, the seed, workers in parallel, the sim's rate."""

    trials: int = 20
    dialects: tuple[str, ...] = ()  # empty: every registered dialect with a sim
    seed: int = 1
    workers: int = 2
    rate: float = 200.0
    keep_dir: Path | None = None  # ledgers and logs kept here (default: a temporary folder)
    max_minutes: float = 0.0  # start no trial after this long (0: run them all)

    def validate(self) -> None:
        """Raise ``ValueError`` for a count below 1 or an unknown dialect."""
        if self.trials < 1 or self.workers < 1:
            raise ValueError("--trials and --workers must be at least 1")
        known = dialect_names()
        for name in self.dialects:
            if name not in known:
                raise ValueError(f"unknown dialect {name!r}: use {', '.join(known)} or both")


def dialect_names() -> list[str]:
    """The registered venues whose dialect the sim serves."""
    from letrade_cli.venues.registry import venues

    return [name for name, venue in venues().items() if venue.sim is not None]


def parse_dialects(text: str) -> tuple[str, ...]:
    """``both``/``all`` -> every dialect; else a comma-separated list."""
    if text.strip() in ("both", "all", ""):
        return ()
    return tuple(t.strip() for t in text.split(",") if t.strip())


@dataclass(frozen=True, slots=True)
class Target:
    """How one dialect is traded on the sim: the venue to name, its account, symbol and keys."""

    dialect: str  # the venue package, and the sim account it trades
    venue: str  # --venue
    live_flags: tuple[str, ...]
    symbol: str
    base: str
    quote: str
    ws_path: str
    key_env: tuple[str, str]
    notional: Decimal
    balance: Decimal


def target_for(dialect: str, sim: SimExchange) -> Target:
    """The venue spec that reaches ``dialect`` on the sim: its embedded one, else its first."""
    from letrade_cli.venues.registry import venues

    package = venues()[dialect]
    specs = [s for s in package.specs if s.embedded] or list(package.specs)
    spec = specs[0]
    symbol = package.example_symbol
    base, quote = package.symbols.split(symbol)
    holdings = sim.accounts[dialect].holdings
    balance = holdings[quote].free if quote in holdings else Decimal(10_000)
    return Target(
        dialect=dialect,
        venue=spec.name,
        live_flags=("--live", "--yes") if spec.live_money else (),
        symbol=symbol,
        base=base,
        quote=quote,
        ws_path="" if spec.embedded else urlsplit(spec.ws_url).path,
        key_env=(spec.api_key_env or "", spec.secret_env or ""),
        notional=balance / 500,
        balance=balance,
    )


def profile_text(target: Target) -> str:
    """The trial's profile: the sim's keys by variable, short timeouts, no risk throttles."""
    key, secret = target.key_env
    return (
        f"venue: {target.venue}\n"
        "trading:\n"
        f"  keys: {{api_key_env: {key}, secret_env: {secret}}}\n"
        "  orders: {timeout_s: 1.0, lookup_attempts: 3}\n"
        f"  risk: {{order_notional: {target.notional}, max_position_notional: 0, "
        "max_total_notional: 0, max_daily_loss: 0, cooldown_s: 0}\n"
    )


# -- the sim, in a thread ------------------------------------------------------------------------
class SimThread:
    """A SimExchange on its own loop in a thread; ``call(fn)`` runs ``fn`` there."""

    def __init__(self, rate: float, seed: int) -> None:
        from letrade_cli.sim.server import SimConfig, SimExchange

        self.sim = SimExchange(
            SimConfig(
                rate=rate,
                seed=seed,
                port=0,
                weight_limit_per_min=100_000_000,
                order_limit=100_000_000,
                order_limit_day=100_000_000,
            )
        )
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, name="letrade-bench-sim", daemon=True)

    def _serve(self) -> None:
        async def main() -> None:
            self._stop = asyncio.Event()
            try:
                await self.sim.start()
            except BaseException as exc:
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            await self._stop.wait()
            await self.sim.stop()

        self._loop.run_until_complete(main())

    def __enter__(self) -> SimThread:
        self._thread.start()
        if not self._ready.wait(30) or self._error is not None:
            raise RuntimeError(f"the sim did not start: {self._error}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)

    async def call(self, fn: Callable[[], Any]) -> Any:
        """``fn()`` on the sim's loop (its books and accounts live there)."""

        async def wrapped() -> Any:
            return fn()

        future = asyncio.run_coroutine_threadsafe(wrapped(), self._loop)
        return await asyncio.wrap_future(future)


# -- one `trade run` process ---------------------------------------------------------------------
class RunProcess:
    """A ``letrade trade run`` subprocess whose JSON events are read as they come."""

    def __init__(
        self, proc: asyncio.subprocess.Process, spawned_ns: int, log: Path | None = None
    ) -> None:
        self.log = log
        self.proc = proc
        self.spawned_ns = spawned_ns
        self.events: list[tuple[int, dict[str, Any]]] = []  # (perf_counter_ns seen, event)
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())
        self._stderr = asyncio.create_task(self._read_stderr())
        self.stderr_tail: list[str] = []

    @classmethod
    async def spawn(
        cls, argv: list[str], env: dict[str, str], log: Path | None = None
    ) -> RunProcess:
        """Start ``python -m letrade_cli ARGV``."""
        spawned = time.perf_counter_ns()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "letrade_cli",
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        return cls(proc, spawned, log)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        out = self.log.open("ab") if self.log is not None else None
        async for line in self.proc.stdout:
            if out is not None:
                out.write(line)
            if line.startswith(b"{"):
                with contextlib.suppress(ValueError):
                    self.events.append((time.perf_counter_ns(), json.loads(line)))
                    self._changed.set()
        if out is not None:
            out.close()
        self._changed.set()

    async def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        async for line in self.proc.stderr:
            self.stderr_tail = [*self.stderr_tail[-4:], line.decode(errors="replace").rstrip()]

    def first(self, kind: str, after: int = 0) -> tuple[int, dict[str, Any]] | None:
        """The first event of ``kind`` (from index ``after``), with the time it was seen."""
        for seen, event in self.events[after:]:
            if event.get("event") == kind:
                return seen, event
        return None

    async def wait_for(self, kind: str, timeout: float, after: int = 0) -> tuple[int, Any] | None:
        """Wait until an event of ``kind`` arrives (None: timeout or the process ended)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.first(kind, after)
            if found is not None:
                return found
            if self._reader.done():
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def stop(self, sig: int) -> int:
        """Send ``sig`` and wait for the exit (killed after ``EXIT_TIMEOUT_S``); the exit code."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(sig)
        try:
            code = await asyncio.wait_for(self.proc.wait(), EXIT_TIMEOUT_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()
            code = -9999
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(self._reader, self._stderr), 5)
        return code


# -- the audit -----------------------------------------------------------------------------------
def venue_view(sim: SimExchange, account: str, prefix: str) -> list[dict[str, Any]]:
    """The account's orders with ``prefix``: client id, open, executed, and their trades."""
    out = []
    for order in list(sim.orders.orders[account].values()):
        if not order.client_id.startswith(prefix):
            continue
        out.append(
            {
                "cid": order.client_id,
                "open": order.is_open,
                "executed": order.executed_qty,
                "trades": [
                    (t.trade_id, t.qty, t.is_buyer, t.commission, t.commission_asset)
                    for t in order.trades
                ],
            }
        )
    return out


def audit(db: Path, run_id: str, target: Target, venue: list[dict[str, Any]]) -> Counter[str]:
    """Ledger against venue for one run: every count of ``COUNTS`` (but failed runs)."""
    from letrade_cli.trading.ledger import Ledger

    found: Counter[str] = Counter()
    ledger = Ledger(db)
    try:
        orders = {o.client_order_id: o for o in ledger.orders(run_id)}
        fills = ledger.fills(run_id)
        held = ledger.positions(run_id).get(target.symbol, (Decimal(0),) * 3)[0]
        balance_notes = [r for r in ledger.reconciliations(run_id) if r["kind"] == "balance"]
    finally:
        ledger.close()
    per_cid = Counter(o["cid"] for o in venue)
    found["duplicated"] = sum(n - 1 for n in per_cid.values() if n > 1)
    on_venue = {o["cid"]: o for o in venue}
    found["orphaned"] = sum(1 for cid in per_cid if cid not in orders)
    for cid, order in orders.items():
        seen = on_venue.get(cid)
        if order.status.value in UNRESOLVED and (seen is None or not seen["open"]):
            found["untracked"] += 1
        if seen is not None and seen["executed"] != order.filled_qty:
            found["filled_mismatch"] += 1
    found["left_open"] = sum(1 for o in venue if o["open"])
    ledger_fills = Counter(f["client_order_id"] for f in fills)
    position = Decimal(0)
    for cid, seen in on_venue.items():
        trades = seen["trades"]
        found["lost_fills"] += max(0, len(trades) - ledger_fills.get(cid, 0))
        found["double_fills"] += max(0, ledger_fills.get(cid, 0) - len(trades))
        for _tid, qty, is_buyer, fee, fee_asset in trades:
            position += qty if is_buyer else -qty
            if fee_asset == target.base:
                position -= fee
    found["double_fills"] += sum(n for cid, n in ledger_fills.items() if cid not in on_venue)
    found["balance_mismatch"] = int(position != held) + len(balance_notes)
    return found


# -- trials --------------------------------------------------------------------------------------
@dataclass(slots=True)
class DialectResult:
    """What one dialect's trials found."""

    trials: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    orders: int = 0
    fills: int = 0
    reconciled: LatencyHistogram = field(default_factory=LatencyHistogram)
    engine_reconcile: LatencyHistogram = field(default_factory=LatencyHistogram)
    problems: list[dict[str, Any]] = field(default_factory=list)


class Worker:
    """Runs trials one after another behind its own fault proxy."""

    def __init__(self, sim: SimThread, folder: Path, index: int, keep_logs: bool) -> None:
        self.keep_logs = keep_logs
        self.sim = sim
        self.folder = folder
        self.index = index
        self.proxy: FaultProxy | None = None

    async def start(self) -> None:
        """Put a proxy in front of the sim."""
        from letrade_cli.bench.fault_proxy import FaultProxy

        self.proxy = await FaultProxy("127.0.0.1", self.sim.sim.port).start()

    async def close(self) -> None:
        """Stop the proxy."""
        if self.proxy is not None:
            await self.proxy.stop()

    def env(self, target: Target) -> dict[str, str]:
        """The trial's environment: the sim's keys, REST and WebSocket through the proxy."""
        from letrade_cli.sim.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET

        assert self.proxy is not None
        env = {k: v for k, v in child_env().items() if not k.startswith("LETRADE_")}
        env["PYTHONPATH"] = child_env()["PYTHONPATH"]
        key, secret = target.key_env
        env.update(
            {
                key: DEFAULT_API_KEY,
                secret: DEFAULT_API_SECRET,
                "LETRADE_REST_URL": f"http://127.0.0.1:{self.proxy.port}",
                "LETRADE_WS_URL": f"ws://127.0.0.1:{self.proxy.port}{target.ws_path}",
                "NO_COLOR": "1",
            }
        )
        return env

    async def trial(
        self, number: int, target: Target, rng: random.Random, result: DialectResult
    ) -> None:
        """One trial: run, fault, (resume), stop, audit; adds to ``result``."""
        assert self.proxy is not None
        fault = rng.choice(("kill", "kill", "down", "stall"))
        delay = rng.uniform(0.2, 3.0)
        outage = rng.uniform(0.1, 5.0)
        settle = rng.uniform(0.3, 1.0)
        db = self.folder / f"{target.dialect}-{number}.sqlite3"
        profile = self.folder / f"{target.dialect}.yaml"
        if not profile.exists():
            profile.write_text(profile_text(target), encoding="utf-8")
        env = self.env(target)
        common = ["--db", str(db), "--json", "--profile", str(profile), *target.live_flags]
        argv = [
            "trade", "run", "--venue", target.venue, "-s", target.symbol, "--strategy", STRATEGY,
            "--minutes", "60", "--balance", f"{target.balance}{target.quote}",
            "--on-mismatch", "adopt", *common,
        ]  # fmt: skip
        failed: list[str] = []
        log = db.with_suffix(".jsonl") if self.keep_logs else None
        run = await RunProcess.spawn(argv, env, log)
        first = await run.wait_for("order_intent", EVENT_TIMEOUT_S)
        run_id = ""
        start = run.first("start")
        if start is not None:
            run_id = str(start[1]["run_id"])
        if first is None or not run_id:
            code = await run.stop(signal.SIGKILL)
            failed.append(f"no order intent (exit {code}): {' | '.join(run.stderr_tail)}")
        else:
            await asyncio.sleep(delay)
            if fault == "kill":
                await run.stop(signal.SIGKILL)
                resume = ["trade", "run", "--resume", run_id, *common]
                run = await RunProcess.spawn(resume, env, log)
                done = await run.wait_for("reconciled", EVENT_TIMEOUT_S)
                if done is None:
                    failed.append(f"resume never reconciled: {' | '.join(run.stderr_tail)}")
                else:
                    result.reconciled.record(done[0] - run.spawned_ns)
                    result.engine_reconcile.record(int(float(done[1]["ms"]) * 1e6))
                    index = next(i for i, (_, e) in enumerate(run.events) if e is done[1])
                    await run.wait_for("order_intent", 5.0, after=index)
            elif fault == "down":
                self.proxy.down(outage)
                await asyncio.sleep(outage)
            else:
                self.proxy.stall(outage)
                await asyncio.sleep(outage)
            await asyncio.sleep(settle)
            code = await run.stop(signal.SIGTERM)
            if code not in SIGTERM_EXIT:
                failed.append(f"exit {code} after SIGTERM: {' | '.join(run.stderr_tail)}")
        result.trials += 1
        result.faults[fault] += 1
        counts: Counter[str] = Counter()
        if run_id:
            venue = await self.sim.call(
                lambda: venue_view(self.sim.sim, target.dialect, f"{run_id}-")
            )
            counts = audit(db, run_id, target, venue)
            result.orders += len(venue)
            result.fills += sum(len(o["trades"]) for o in venue)
        counts["failed_runs"] = len(failed)
        result.counts.update({k: counts.get(k, 0) for k in COUNTS})
        if any(counts.values()) and len(result.problems) < 20:
            result.problems.append(
                {
                    "trial": number,
                    "run_id": run_id,
                    "fault": fault,
                    "delay_s": round(delay, 3),
                    "outage_s": round(outage, 3) if fault != "kill" else None,
                    "counts": {k: v for k, v in counts.items() if v},
                    "notes": failed,
                    "db": str(db),
                }
            )


async def run_trials(
    config: RestartBenchConfig, sim: SimThread, folder: Path, progress: Progress
) -> dict[str, DialectResult]:
    """Every dialect's trials, ``config.workers`` at a time."""
    dialects = list(config.dialects) or dialect_names()
    results = {d: DialectResult() for d in dialects}
    targets = {d: target_for(d, sim.sim) for d in dialects}
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for number in range(config.trials):
        for d in dialects:
            queue.put_nowait((number, d))
    total = queue.qsize()
    done = 0
    deadline = time.monotonic() + config.max_minutes * 60 if config.max_minutes else None

    async def work(worker: Worker) -> None:
        nonlocal done
        await worker.start()
        try:
            while not queue.empty():
                if deadline is not None and time.monotonic() >= deadline:
                    return  # out of time: the trials run so far are reported
                number, d = queue.get_nowait()
                rng = random.Random(f"{config.seed}:{d}:{number}")
                await worker.trial(number, targets[d], rng, results[d])
                done += 1
                if done % 10 == 0 or done == total:
                    bad = sum(sum(r.counts.values()) for r in results.values())
                    progress(f"restart: {done}/{total} trials, {bad} problem(s) so far")
        finally:
            await worker.close()

    keep = config.keep_dir is not None
    workers = [Worker(sim, folder, i, keep) for i in range(config.workers)]
    await asyncio.gather(*(work(w) for w in workers))
    return results


def run_restart_benchmark(
    config: RestartBenchConfig, progress: Progress | None = None
) -> dict[str, Any]:
    """Run the trials; the result document (``letrade.bench.restart/1``)."""
    import tempfile

    config.validate()
    say = progress or (lambda _msg: None)
    doc = new_document(
        "restart",
        {
            "trials_per_dialect": config.trials,
            "dialects": list(config.dialects) or dialect_names(),
            "seed": config.seed,
            "workers": config.workers,
            "max_minutes": config.max_minutes,
            "rate": config.rate,
            "strategy": STRATEGY,
            "faults": "kill -9 then --resume (1/2), network down (1/4) or stalled (1/4) 0.1-5 s, "
            "0.2-3 s after the first order intent",
        },
    )
    with contextlib.ExitStack() as stack:
        if config.keep_dir is not None:
            folder = config.keep_dir
            folder.mkdir(parents=True, exist_ok=True)
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="letrade-rst-")))
        sim = stack.enter_context(SimThread(config.rate, config.seed))
        say(f"restart: sim on port {sim.sim.port}, {config.workers} worker(s)")
        results = asyncio.run(run_trials(config, sim, folder, say))
    doc["dialects"] = {
        name: {
            "trials": r.trials,
            "faults": dict(r.faults),
            "venue_orders": r.orders,
            "venue_fills": r.fills,
            "counts": {k: r.counts.get(k, 0) for k in COUNTS},
            "reconciled_ns": latency_summary(r.reconciled),
            "engine_reconcile_ns": latency_summary(r.engine_reconcile),
            "problems": r.problems,
        }
        for name, r in results.items()
    }
    doc["targets"] = targets(doc["dialects"])
    doc["verdict"] = verdict(doc["dialects"])
    return finish_document(doc, headline_metrics(doc))


def targets(dialects: dict[str, Any]) -> list[dict[str, Any]]:
    """Every count 0 over >= 500 trials; reconciled p99 < 1 s; per dialect."""
    out: list[dict[str, Any]] = []
    for name, d in dialects.items():
        problems = sum(d["counts"].values())
        out.append(
            {
                "target": f"{name}: problems over {d['trials']} trials",
                "value": problems,
                "op": "==",
                "threshold": 0,
                "met": problems == 0 if d["trials"] >= TARGET_TRIALS else None,
            }
        )
        rec = d["reconciled_ns"]
        p99 = rec["p99"] / 1e6
        out.append(
            {
                "target": f"{name}: restart -> reconciled p99 ms",
                "value": round(p99, 1),
                "op": "<",
                "threshold": TARGET_RECONCILED_P99_MS,
                "met": p99 < TARGET_RECONCILED_P99_MS if rec["count"] else None,
            }
        )
    return out


def verdict(dialects: dict[str, Any]) -> str:
    """One line per dialect: trials, problems, restart -> reconciled p50/p99."""
    parts = []
    for name, d in dialects.items():
        rec = d["reconciled_ns"]
        bad = {k: v for k, v in d["counts"].items() if v}
        parts.append(
            f"{name}: {d['trials']} trials, {d['venue_orders']} orders, "
            f"{bad or 'no problem'}; restart -> reconciled p50 "
            f"{rec['p50'] / 1e6:,.0f} ms, p99 {rec['p99'] / 1e6:,.0f} ms ({rec['count']} restarts)"
        )
    return "; ".join(parts)


def headline_metrics(doc: dict[str, Any]) -> list[Metric]:
    """Problems and reconciled p50/p99 per dialect."""
    out: list[Metric] = []
    for name, d in doc["dialects"].items():
        out.append(metric(f"restart.{name}.problems", sum(d["counts"].values()), "", "lower"))
        rec = d["reconciled_ns"]
        if rec["count"]:
            out.append(metric(f"restart.{name}.reconciled_p50_ms", rec["p50"] / 1e6, "ms", "lower"))
            out.append(metric(f"restart.{name}.reconciled_p99_ms", rec["p99"] / 1e6, "ms", "lower"))
    return out


def suite_run(quick: bool, progress: Progress) -> dict[str, Any]:
    """``letrade bench all``'s restart run (``quick``: 2 trials per dialect)."""
    config = RestartBenchConfig(trials=2 if quick else 20)
    return run_restart_benchmark(config, progress=progress)


def render(doc: dict[str, Any], console: Console) -> None:
    """One row per dialect: trials, faults, every count, reconciled p50/p99; targets, verdict."""
    from rich.table import Table

    from letrade_cli.bench.render import _show

    table = Table(title="bench restart: ledger vs venue after kill -9 and network faults")
    for column in ("dialect", "trials", "faults", "orders", *COUNTS, "rec p50 ms", "rec p99 ms"):
        table.add_column(column, justify="left" if column in ("dialect", "faults") else "right")
    for name, d in doc["dialects"].items():
        rec = d["reconciled_ns"]
        faults = ", ".join(f"{k} {v}" for k, v in sorted(d["faults"].items()))
        table.add_row(
            name,
            str(d["trials"]),
            faults,
            str(d["venue_orders"]),
            *(str(d["counts"][k]) for k in COUNTS),
            f"{rec['p50'] / 1e6:,.0f}",
            f"{rec['p99'] / 1e6:,.0f}",
        )
    _show([table], doc, console)


def figures(doc: dict[str, Any]) -> list[Any]:
    """The restart -> reconciled histogram per dialect."""
    from letrade_cli.bench.html import latency_figures

    series = [
        {"label": f"{name} restart -> reconciled", "latency_ns": d["reconciled_ns"]}
        for name, d in doc["dialects"].items()
    ]
    return latency_figures({"series": series})


def default_workers() -> int:
    """Two workers where there are two CPUs or more, else one."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1
