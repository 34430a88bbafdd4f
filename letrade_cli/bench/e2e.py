"""``letrade bench e2e``: exchange event -> receive -> decode -> cache -> signal -> order -> ack.

Per background rate, ``letrade sim`` runs in its own process on one CPU at that aggregate rate
(bookTicker + trade of ``SYMBOLS``); the client, on the other CPU, is the real path of
``letrade trade``: the WebSocket transport and ``IngestPipeline`` (decode -> Tick -> PriceCache ->
bus), a strategy on the bus (``SmaCross`` sees every tick), and an ``OrderManager`` on a
``LiveVenue`` with the sim's keys. A BTCUSDT trade tick triggers a MARKET order of 0.001 BTCUSDT
(buys and sells alternating) when none is in flight, at most ``order_rate`` per second.

Each level runs once per order transport (``transports``, on the same sim, one after the other):
``rest`` (signed REST on the pooled HTTP session) and ``ws`` (the venue's WebSocket API session,
``OrderSettings(order_transport="ws")``); the account session is open in both, as in ``letrade
trade``. Right after each ack, one bare round trip to the sim is timed on its own connection:
a pooled aiohttp GET for ``rest``, a WebSocket API ``ping`` on a bare ``websockets`` connection
for ``ws``: the floor each path is judged against, measured in the same conditions. With ``ws``,
a short idle series comes first: bare signed ``order.place`` round trips (HMAC, a bare
``websockets`` connection, no subscription) to a sim with no background, ``idle_orders`` of them
at ``order_rate``: the floor of an order over the WebSocket API.

Stages of one order (first ``warmup`` orders of each level left out):

* ``event->recv``: the sim's event time (``E``, whole ms, events released in 5 ms slices) to our
  receive stamp: ms resolution, shown for honesty, not in the total.
* ``recv->bus``: receive stamp to the strategy's callback (decode, Tick, cache put, bus).
* ``strategy``: ``SmaCross.on_tick`` and the trigger's signal.
* ``signal->send``: order manager: filters, client id, a task hop.
* ``send->ack``: signing, the HTTP (or WebSocket API) round trip, the sim's matching, parsing
  the answer.
* ``total``: receive -> ack (the sum of the four above, ns clocks).

Level ``0`` subscribes to BTCUSDT trades alone at 50 msg/s: only the triggers, no background.
The sim's ``--rate`` counts its bookTicker, trade and aggTrade messages; the client takes
bookTicker and trade, so the sim is asked for ``SIM_RATE_PER_MSG`` times the level's rate.

Each level also records, for the client and the sim, the time they were ready to run but waited
for a CPU (``cpu_wait``, from ``/proc/PID/schedstat``), and how much CPU every other process used
meanwhile (``others_cpu_pct``, from ``/proc/stat``): the share of the latency that belongs to
the machine, not to our code.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from letrade_cli.bench import schedstat
from letrade_cli.bench.common import (
    Metric,
    Progress,
    finish_document,
    latency_summary,
    loop_factory,
    metric,
    new_document,
    pick_cpus,
)
from letrade_cli.bench.simproc import SimProcess
from letrade_cli.core.histogram import LatencyHistogram

SYMBOLS = (
    *("BTC", "ETH", "BNB", "SOL", "XRP", "DOGE", "ADA", "TRX", "AVAX", "LINK"),
    *("DOT", "LTC", "SHIB", "UNI", "ATOM", "XLM", "ETC", "FIL", "APT", "NEAR"),
)
TRIGGER = "BTCUSDT"
QUANTITY = Decimal("0.001")
STAGES = ("event->recv", "recv->bus", "strategy", "signal->send", "send->ack", "total")
QUIET_SIM_RATE = 50.0
# The sim makes 0.6 x --rate generator steps a second; a step yields ~1.2 bookTicker + trade
# messages on average (measured: --rate 10000 -> 7,200-7,600 msg/s of them), so 1 / 0.73.
SIM_RATE_PER_MSG = 1.37
TARGET_RATE = 10_000
TARGET_P50_VS_BARE = 2.0
TARGET_P99_MS = 3.0
TARGET_WS_VS_REST = 0.6  # ws recv->ack p50 / rest recv->ack p50 at TARGET_RATE
TARGET_WS_VS_IDLE = 1.3  # ws recv->ack p50 / the idle bare signed order.place p50
TRANSPORTS = ("rest", "ws")
BARE = {"rest": "bare aiohttp GET", "ws": "bare ws ping"}
IDLE_LABEL = "idle bare signed order.place"


def parse_transports(text: str) -> tuple[str, ...]:
    """``--order-transport``: ``rest``, ``ws`` or ``both`` -> the transports to run, in order."""
    value = text.strip().lower()
    if value == "both":
        return TRANSPORTS
    if value in TRANSPORTS:
        return (value,)
    raise ValueError(f"--order-transport must be ws, rest or both, not '{text}'")


@dataclass(slots=True)
class E2EBenchConfig:
    """Background ``rates`` (msg/s), ``duration`` seconds each, ``order_rate`` orders/s at most."""

    rates: tuple[int, ...] = (0, 1_000, 10_000, 50_000)
    duration: float = 10.0
    order_rate: float = 20.0
    warmup: int = 10
    pin: bool = True
    loop: str = "auto"
    transports: tuple[str, ...] = TRANSPORTS
    idle_orders: int = 100

    def validate(self) -> None:
        """Raise ``ValueError`` for settings that cannot run."""
        if not self.transports or any(t not in TRANSPORTS for t in self.transports):
            raise ValueError("--order-transport must be ws, rest or both")
        if self.idle_orders < 1:
            raise ValueError("the idle series needs at least 1 order")
        if not self.rates or any(r < 0 for r in self.rates):
            raise ValueError("--rates must list background rates of 0 or more msg/s")
        if self.duration <= 0 or self.order_rate <= 0 or self.warmup < 0:
            raise ValueError("--duration and --order-rate must be positive, --warmup 0 or more")
        if self.loop not in ("auto", "asyncio", "uvloop"):
            raise ValueError("--loop must be auto, asyncio or uvloop")


def parse_rates(text: str) -> tuple[int, ...]:
    """``"0,1000,10k"`` -> ``(0, 1000, 10000)``; ``ValueError`` naming a bad entry."""
    out = []
    for part in text.split(","):
        item = part.strip().lower()
        if not item:
            continue
        scale = 1000 if item.endswith("k") else 1
        try:
            value = int(float(item.removesuffix("k")) * scale)
        except ValueError:
            raise ValueError(f"--rates: '{part.strip()}' is not a number of msg/s") from None
        if value < 0:
            raise ValueError(f"--rates: {value} is negative")
        out.append(value)
    if not out:
        raise ValueError("--rates: give at least one rate, e.g. 0,1000,10000")
    return tuple(out)


def streams_for(rate: int) -> str:
    """The combined-stream query for a level: the trigger alone at 0, else every symbol."""
    if rate == 0:
        return f"{TRIGGER.lower()}@trade"
    names = [f"{base.lower()}usdt" for base in SYMBOLS]
    return "/".join(f"{n}@{kind}" for n in names for kind in ("bookTicker", "trade"))


@dataclass(slots=True)
class LevelRun:
    """What one level measured."""

    hists: dict[str, LatencyHistogram] = field(
        default_factory=lambda: {s: LatencyHistogram() for s in STAGES}
    )
    bare: LatencyHistogram = field(default_factory=LatencyHistogram)
    carried: dict[str, int] = field(default_factory=dict)  # last_transport -> orders
    triggers: int = 0
    orders: int = 0
    errors: int = 0
    ticks: int = 0
    window_s: float = 0.0
    error_sample: str | None = None
    cpu_wait: dict[str, dict[str, float] | None] = field(default_factory=dict)
    others_cpu_pct: float | None = None


async def run_level(
    ws_url: str,
    rest_url: str,
    rate: int,
    config: E2EBenchConfig,
    sim_pid: int | None = None,
    transport: str = "rest",
) -> LevelRun:
    """Stream, trade and time for ``config.duration`` seconds against one sim.

    ``transport``: ``rest`` or ``ws``, the venue's ``order_transport`` (and the bare floor).
    """
    import aiohttp
    from websockets.asyncio.client import connect

    from letrade_cli.config.trading import OrderSettings
    from letrade_cli.connector.pipeline import IngestPipeline
    from letrade_cli.connector.transport import open_websocket
    from letrade_cli.core.heap import release_heap, settle_heap
    from letrade_cli.core.orders import OrderIntent, Side
    from letrade_cli.core.tick import Tick
    from letrade_cli.sim.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET
    from letrade_cli.trading.keys import ApiKeys
    from letrade_cli.trading.live import LiveVenue, account_ws_url
    from letrade_cli.trading.order_manager import OrderManager
    from letrade_cli.trading.strategies.base import StrategyContext, signal
    from letrade_cli.trading.strategies.sma_cross import SmaCross
    from letrade_cli.venues.registry import dialect_for, embedded_spec, venue_spec

    out = LevelRun()
    loop = asyncio.get_running_loop()
    pipeline = IngestPipeline.for_venue(dialect_for(embedded_spec().dialect), "sim")
    strategy, ctx = SmaCross(), StrategyContext(pipeline.cache)
    keys = ApiKeys(DEFAULT_API_KEY, DEFAULT_API_SECRET)
    spec = venue_spec("sim")
    settings = OrderSettings(order_transport="ws" if transport == "ws" else "rest")
    venue = LiveVenue(spec, keys, rest_url=rest_url, settings=settings)
    manager = OrderManager(venue)
    min_gap_ns = int(1e9 / config.order_rate)
    state = {"busy": False, "last_ns": 0, "sells": 0, "measuring": False, "pings": 0}
    tasks: set[asyncio.Task[None]] = set()
    bare_ws: Any = None

    async def bare_round_trip() -> None:
        if bare_ws is None:
            async with session.get(rest_url + "/api/v3/time") as response:
                await response.read()
            return
        state["pings"] += 1
        await bare_ws.send(f'{{"id":{state["pings"]},"method":"ping"}}')
        await bare_ws.recv()

    async def order(tick: Tick, recv_to_bus: int, bus_perf: int, sig: Any) -> None:
        state["sells"] += 1
        side = Side.SELL if state["sells"] % 2 else Side.BUY
        try:
            placed = await manager.submit(OrderIntent(TRIGGER, side, QUANTITY), signal=sig)
            lat = placed.latency
            carrier = venue.last_transport
            start = time.perf_counter_ns()
            await bare_round_trip()
            bare = time.perf_counter_ns() - start
        except Exception as exc:
            out.errors += 1
            out.error_sample = out.error_sample or f"{type(exc).__name__}: {exc}"
            return
        finally:
            state["busy"] = False
        out.orders += 1
        out.carried[carrier] = out.carried.get(carrier, 0) + 1
        if out.orders <= config.warmup or lat is None:
            return
        h = out.hists
        if tick.event_time_ms:
            h["event->recv"].record(tick.recv_ns - tick.event_time_ms * 1_000_000)
        h["recv->bus"].record(recv_to_bus)
        h["strategy"].record(sig.created_ns - bus_perf)
        h["signal->send"].record(lat.send_ns - lat.signal_ns)
        h["send->ack"].record(lat.ack_ns - lat.send_ns)
        h["total"].record(recv_to_bus + lat.ack_ns - bus_perf)
        out.bare.record(bare)

    def on_tick(tick: Tick) -> None:
        wall, perf = time.time_ns(), time.perf_counter_ns()
        if state["measuring"]:
            out.ticks += 1
        ctx.now_ns = tick.recv_ns
        strategy.on_tick(tick, ctx)
        if (
            tick.symbol != TRIGGER
            or tick.channel != "trade"
            or state["busy"]
            or perf - state["last_ns"] < min_gap_ns
        ):
            return
        sig = signal(TRIGGER, Side.BUY, "bench trigger", tick)
        state["busy"], state["last_ns"] = True, perf
        out.triggers += 1
        task = loop.create_task(order(tick, wall - tick.recv_ns, perf, sig))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    pipeline.bus.subscribe(on_tick)
    session = aiohttp.ClientSession()
    conn = None
    try:
        await manager.start()
        await manager.load_rules([TRIGGER])
        if transport == "ws":
            bare_ws = await connect(account_ws_url(spec, rest_url), compression=None)
        url = f"{ws_url}/stream?streams={streams_for(rate)}"
        conn = await open_websocket(url, pipeline.on_frame)
        settle_heap()  # as `letrade sim` does after start-up: short full GC passes
        await asyncio.sleep(min(1.0, config.duration / 4))  # connection and sim warm-up
        state["measuring"] = True
        pids: dict[str, int | str] = {"client": "self", **({"sim": sim_pid} if sim_pid else {})}
        sched_before = {who: schedstat.sample(pid) for who, pid in pids.items()}
        busy_before = schedstat.machine_busy_ns()
        started = time.perf_counter()
        await asyncio.sleep(config.duration)
        out.window_s = time.perf_counter() - started
        state["measuring"] = False
        busy_after = schedstat.machine_busy_ns()
        pairs = [(sched_before[who], schedstat.sample(pid)) for who, pid in pids.items()]
        for who, (before, after) in zip(pids, pairs, strict=True):
            out.cpu_wait[who] = schedstat.summary(before, after, out.window_s)
        out.others_cpu_pct = schedstat.others_cpu_pct(busy_before, busy_after, pairs, out.window_s)
    finally:
        release_heap()
        if conn is not None:
            await conn.close()
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)
        await manager.close()
        await session.close()
        if bare_ws is not None:
            await bare_ws.close()
    return out


async def run_idle(rest_url: str, config: E2EBenchConfig, warmup: int) -> LatencyHistogram:
    """Bare signed ``order.place`` round trips on an idle WebSocket API connection.

    The order API's place request gives the parameters (built before the clock starts); the
    timestamp, the HMAC signature, the frame and the answer are a bare client's (``hmac``,
    ``orjson``, ``websockets``): no Letrade session code. Paced at ``order_rate``.
    """
    import hashlib
    import hmac

    import orjson
    from websockets.asyncio.client import connect

    from letrade_cli.core.orders import OrderIntent, Side
    from letrade_cli.sim.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET
    from letrade_cli.trading.live import account_ws_url
    from letrade_cli.trading.order_manager import new_client_order_id
    from letrade_cli.venues.registry import venue_of, venue_spec

    spec = venue_spec("sim")
    orders = venue_of(spec).order_api(spec.name)
    secret = DEFAULT_API_SECRET.encode()
    hist = LatencyHistogram()
    gap_s = 1.0 / config.order_rate
    async with connect(account_ws_url(spec, rest_url), compression=None) as ws:
        for n in range(1, config.idle_orders + warmup + 1):
            side = Side.SELL if n % 2 else Side.BUY
            intent = OrderIntent(TRIGGER, side, QUANTITY, client_order_id=new_client_order_id("bn"))
            params: dict[str, Any] = dict(orders.place_request(intent).params)
            await asyncio.sleep(gap_s)
            start = time.perf_counter_ns()
            params["recvWindow"] = 5000
            params["timestamp"] = time.time_ns() // 1_000_000
            params["apiKey"] = DEFAULT_API_KEY
            payload = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
            params["signature"] = hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()
            frame = orjson.dumps({"id": n, "method": "order.place", "params": params})
            await ws.send(frame, text=True)
            while True:
                answer = orjson.loads(await ws.recv())
                if answer.get("id") == n:
                    break
            elapsed = time.perf_counter_ns() - start
            if answer.get("status") != 200:
                raise RuntimeError(f"idle order.place answered {answer.get('error')}")
            if n > warmup:
                hist.record(elapsed)
    return hist


def _level_doc(rate: int, sim_rate: float, run: LevelRun, transport: str) -> dict[str, Any]:
    total, bare = run.hists["total"], run.bare
    ratio = total.percentile(50) / bare.percentile(50) if bare.count else None
    return {
        "background_rate": rate,
        "transport": transport,
        "carried_by": run.carried,
        "bare_kind": BARE[transport],
        "sim_rate": sim_rate,
        "streams": "BTCUSDT trade only" if rate == 0 else f"{len(SYMBOLS)} symbols x 2",
        "achieved_msg_per_s": round(run.ticks / run.window_s, 1) if run.window_s else 0.0,
        "triggers": run.triggers,
        "orders": run.orders,
        "orders_measured": total.count,
        "errors": run.errors,
        "error_sample": run.error_sample,
        "stages_ns": {name: latency_summary(h) for name, h in run.hists.items()},
        "total_ns": latency_summary(total),
        "bare_ns": latency_summary(bare),
        "total_p50_vs_bare_p50": None if ratio is None else round(ratio, 2),
        "cpu_wait": run.cpu_wait,
        "others_cpu_pct": run.others_cpu_pct,
    }


def run_e2e_benchmark(config: E2EBenchConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Run every background level against a fresh sim; return the JSON document."""
    config.validate()
    say = progress or (lambda _msg: None)
    client_cpu, server_cpu = pick_cpus(config.pin)
    loop_name, factory = loop_factory(config.loop)
    doc = new_document(
        "e2e",
        {
            **asdict(config),
            "client_cpu": client_cpu,
            "server_cpu": server_cpu,
            "loop": loop_name,
            "trigger": f"{TRIGGER} trade -> MARKET {QUANTITY} (buy/sell alternating)",
        },
    )
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    levels = []
    idle: LatencyHistogram | None = None
    try:
        if "ws" in config.transports:
            say(f"idle: {config.idle_orders} bare signed order.place, sim on CPU {server_cpu}")
            with SimProcess(rate=QUIET_SIM_RATE, cpu=server_cpu) as sim:
                if client_cpu is not None:
                    os.sched_setaffinity(0, {client_cpu})
                with asyncio.Runner(loop_factory=factory) as runner:
                    idle = runner.run(run_idle(sim.rest_url, config, min(config.warmup, 10)))
                if affinity is not None:
                    os.sched_setaffinity(0, affinity)
            say(
                f"  idle bare signed order.place p50 {idle.percentile(50) / 1e6:.3f} ms, "
                f"p99 {idle.percentile(99) / 1e6:.3f} ms"
            )
        for rate in config.rates:
            sim_rate = round(rate * SIM_RATE_PER_MSG) if rate else QUIET_SIM_RATE
            say(f"background {rate:,} msg/s: sim --rate {sim_rate:g} on CPU {server_cpu}")
            process = SimProcess(rate=sim_rate, cpu=server_cpu)
            with process as sim:
                for transport in config.transports:
                    if client_cpu is not None:
                        os.sched_setaffinity(0, {client_cpu})
                    with asyncio.Runner(loop_factory=factory) as runner:
                        run = runner.run(
                            run_level(
                                sim.ws_url, sim.rest_url, rate, config, process.pid, transport
                            )
                        )
                    if affinity is not None:
                        os.sched_setaffinity(0, affinity)
                    level = _level_doc(rate, sim_rate, run, transport)
                    levels.append(level)
                    say(_progress_line(level))
    finally:
        if affinity is not None:
            os.sched_setaffinity(0, affinity)
    doc["levels"] = levels
    doc["idle_ws_order_ns"] = None if idle is None else latency_summary(idle)
    doc["side_by_side"] = side_by_side(levels)
    doc["series"] = (
        [
            {
                "label": f"{lv['background_rate']:,}/s {lv['transport']} {stage}",
                "latency_ns": lv["stages_ns"][stage],
            }
            for lv in levels
            for stage in STAGES
        ]
        + [
            {
                "label": f"{lv['background_rate']:,}/s {lv['transport']} {lv['bare_kind']}",
                "latency_ns": lv["bare_ns"],
            }
            for lv in levels
        ]
        + ([{"label": IDLE_LABEL, "latency_ns": doc["idle_ws_order_ns"]}] if idle else [])
    )
    doc["targets"] = targets(levels, doc["idle_ws_order_ns"])
    doc["p99_beside_bare"] = p99_beside_bare(levels)
    doc["verdict"] = verdict(doc)
    return finish_document(doc, headline_metrics(levels, doc["idle_ws_order_ns"]))


def _pair(lat: dict[str, Any]) -> dict[str, float] | None:
    """p50 and p99 in µs, or None for an empty histogram."""
    if not lat["count"]:
        return None
    return {"p50_us": round(lat["p50"] / 1000, 1), "p99_us": round(lat["p99"] / 1000, 1)}


def side_by_side(levels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per background level, each transport's recv->ack, send->ack and bare floor (µs)."""
    rows: list[dict[str, Any]] = []
    for rate in dict.fromkeys(lv["background_rate"] for lv in levels):
        row: dict[str, Any] = {"background_rate": rate}
        for lv in levels:
            if lv["background_rate"] != rate:
                continue
            row[lv["transport"]] = {
                "recv->ack": _pair(lv["total_ns"]),
                "send->ack": _pair(lv["stages_ns"]["send->ack"]),
                "bare": _pair(lv["bare_ns"]),
                "bare_kind": lv["bare_kind"],
                "orders_measured": lv["orders_measured"],
            }
        rest, ws = row.get("rest", {}).get("recv->ack"), row.get("ws", {}).get("recv->ack")
        row["ws_over_rest_p50"] = (
            round(ws["p50_us"] / rest["p50_us"], 2) if rest and ws and rest["p50_us"] else None
        )
        rows.append(row)
    return rows


def _at_target(levels: list[dict[str, Any]], transport: str) -> dict[str, Any] | None:
    return next(
        (
            lv
            for lv in levels
            if lv["background_rate"] == TARGET_RATE
            and lv["transport"] == transport
            and lv["total_ns"]["count"]
        ),
        None,
    )


def p99_beside_bare(levels: list[dict[str, Any]]) -> dict[str, Any] | None:
    """At 10k msg/s: each transport's recv->ack p99 beside its bare echo's p99 (ms)."""
    out: dict[str, Any] = {}
    for transport in TRANSPORTS:
        level = _at_target(levels, transport)
        if level is not None:
            out[transport] = {
                "total_p99_ms": round(level["total_ns"]["p99"] / 1e6, 3),
                "bare_p99_ms": round(level["bare_ns"]["p99"] / 1e6, 3),
                "bare_kind": level["bare_kind"],
            }
    return out or None


def verdict(doc: dict[str, Any]) -> str | None:
    """One line: the ws/rest ratio at 10k msg/s and each p99 beside its bare echo's."""
    beside = doc.get("p99_beside_bare")
    if not beside:
        return None
    parts = [
        f"{t}: recv->ack p99 {b['total_p99_ms']:.2f} ms beside {b['bare_kind']} p99 "
        f"{b['bare_p99_ms']:.2f} ms"
        for t, b in beside.items()
    ]
    row = next((r for r in doc["side_by_side"] if r["background_rate"] == TARGET_RATE), None)
    if row is not None and row["ws_over_rest_p50"] is not None:
        parts.insert(0, f"ws/rest recv->ack p50 {row['ws_over_rest_p50']:g}x")
    return f"at {TARGET_RATE:,} msg/s: " + "; ".join(parts)


def suite_run(quick: bool, progress: Progress) -> dict[str, Any]:
    """``letrade bench all``'s e2e run (``quick``: rates 0 and 1,000, 1.5 s per level)."""
    quick_config = E2EBenchConfig(rates=(0, 1_000), duration=1.5, warmup=2, idle_orders=10)
    config = quick_config if quick else None
    return run_e2e_benchmark(config or E2EBenchConfig(), progress=progress)


def _progress_line(level: dict[str, Any]) -> str:
    total = level["total_ns"]
    line = (
        f"  {level['transport']}: {level['orders_measured']} orders, background "
        f"{level['achieved_msg_per_s']:,.0f} msg/s: total p50 {total['p50'] / 1e6:.2f} ms, "
        f"p99 {total['p99'] / 1e6:.2f} ms, "
        f"{level['bare_kind']} p50 {level['bare_ns']['p50'] / 1e6:.2f} ms"
    )
    waits = [
        f"{who} {w['wait_ms_per_s']:.0f} ms/s"
        for who, w in level.get("cpu_wait", {}).items()
        if w is not None
    ]
    if waits:
        line += f"; waited for a CPU: {', '.join(waits)}"
    if level.get("others_cpu_pct") is not None:
        line += f"; other processes used {level['others_cpu_pct']:.0f}% of a CPU"
    if level["errors"]:
        line += f", {level['errors']} errors ({level['error_sample']})"
    if not level["orders_measured"]:
        line += (
            f" (no order measured: {level['triggers']} triggered, {level['orders']} acked "
            "before the end; the sim is likely saturated)"
        )
    return line


def targets(
    levels: list[dict[str, Any]], idle: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The issue's targets at the 10k msg/s level, per transport that ran, and ws's two."""
    out: list[dict[str, Any]] = []
    for transport in TRANSPORTS:
        level = _at_target(levels, transport)
        if level is None:
            continue
        ratio = level["total_p50_vs_bare_p50"]
        p99_ms = level["total_ns"]["p99"] / 1e6
        out += [
            {
                "target": f"{transport}: total p50 / {level['bare_kind']} p50 at 10k msg/s",
                "value": ratio,
                "op": "<=",
                "threshold": TARGET_P50_VS_BARE,
                "met": None if ratio is None else ratio <= TARGET_P50_VS_BARE,
            },
            {
                "target": f"{transport}: total p99 ms at 10k msg/s",
                "value": round(p99_ms, 3),
                "op": "<",
                "threshold": TARGET_P99_MS,
                "met": p99_ms < TARGET_P99_MS,
            },
        ]
    rest, ws = _at_target(levels, "rest"), _at_target(levels, "ws")
    if ws is None:
        return out
    ws_p50 = ws["total_ns"]["p50"]
    if rest is not None:
        ratio = round(ws_p50 / rest["total_ns"]["p50"], 3)
        out.append(
            {
                "target": "ws recv->ack p50 / rest recv->ack p50 at 10k msg/s",
                "value": ratio,
                "op": "<=",
                "threshold": TARGET_WS_VS_REST,
                "met": ratio <= TARGET_WS_VS_REST,
            }
        )
    if idle is not None and idle["count"] and idle["p50"]:
        ratio = round(ws_p50 / idle["p50"], 3)
        out.append(
            {
                "target": f"ws recv->ack p50 at 10k msg/s / {IDLE_LABEL} p50",
                "value": ratio,
                "op": "<=",
                "threshold": TARGET_WS_VS_IDLE,
                "met": ratio <= TARGET_WS_VS_IDLE,
            }
        )
    return out


def headline_metrics(
    levels: list[dict[str, Any]], idle: dict[str, Any] | None = None
) -> list[Metric]:
    """Total p50/p99 per level and transport, the bare round trips (for --compare).

    The REST path keeps the names of earlier documents (``e2e.bg10000.total_p50_us``, orders
    went over REST then); the WebSocket API's carry ``.ws``.
    """
    out: list[Metric] = []
    for level in levels:
        total = level["total_ns"]
        if not total["count"]:
            continue
        name = f"e2e.bg{level['background_rate']}"
        if level.get("transport", "rest") != "rest":
            name += f".{level['transport']}"
        out.append(metric(f"{name}.total_p50_us", total["p50"] / 1000, "µs", "lower"))
        out.append(metric(f"{name}.total_p99_us", total["p99"] / 1000, "µs", "lower"))
        out.append(metric(f"{name}.bare_p50_us", level["bare_ns"]["p50"] / 1000, "µs", "lower"))
    if idle is not None and idle["count"]:
        out.append(metric("e2e.idle_ws_order_p50_us", idle["p50"] / 1000, "µs", "lower"))
        out.append(metric("e2e.idle_ws_order_p99_us", idle["p99"] / 1000, "µs", "lower"))
    return out
