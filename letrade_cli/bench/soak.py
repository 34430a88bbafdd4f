"""`letrade bench soak`: the full stream path behind a fault injector, for minutes or hours.

``letrade sim`` runs in a child process (its own core); between it and a ``StreamService`` (the
code ``letrade stream`` runs, with a user's default settings) sits a :class:`FaultProxy`. Every
``every_s`` seconds one fault from the list is injected, in turn:

- ``cut``: the connection is aborted; measured: time until the stream is live again;
- ``stall``: the server's bytes are held back for ``stall_s``; measured: time until the stream
  declared the stall (detection latency), and from then until it is live again (recovery);
- ``garbage``: ``garbage_frames`` non-JSON frames; each must be one counted decode error;
- ``corrupt``: bytes that are no WebSocket frame; the connection must drop and recover.

Trade ids are counted by the harness on its own (first, last and number received per symbol), so
the stream's gap accounting is checked against an independent count. RSS and CPU of this process
(and of the sim) are sampled every ``sample_every_s``. The run fails (exit 1) when anything
crashed, a disconnect did not recover, a fault went uncounted, or RSS grew by more than
``rss_growth_limit_mb`` after the first sample.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FAULTS = ("cut", "stall", "garbage", "corrupt")
SIM_COMMAND = (sys.executable, "-m", "letrade_cli", "sim", "--port", "0")
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(slots=True)
class SoakConfig:
    """What to run and for how long."""

    minutes: float = 1.0
    rate: float = 20_000.0
    faults: tuple[str, ...] = ("cut", "stall", "garbage")
    every_s: float = 10.0
    symbols: int = 10
    stall_s: float = 3.0
    garbage_frames: int = 5
    sample_every_s: float = 60.0
    rss_growth_limit_mb: float = 5.0
    recover_timeout_s: float = 30.0
    backend: str = "auto"
    seed: int = 7

    def validate(self) -> SoakConfig:
        """Raise ValueError naming the first bad value."""
        if not self.minutes > 0:
            raise ValueError(f"--minutes must be greater than 0, got {self.minutes:g}")
        if not 0 < self.rate < float("inf"):
            raise ValueError(f"--rate must be greater than 0, got {self.rate:g}")
        if not self.every_s > 0:
            raise ValueError(f"--every must be greater than 0, got {self.every_s:g}")
        unknown = [f for f in self.faults if f not in FAULTS]
        if unknown:
            raise ValueError(f"unknown fault '{unknown[0]}' (use: {', '.join(FAULTS)})")
        if self.symbols < 1:
            raise ValueError("--symbols must be at least 1")
        return self


@dataclass(slots=True)
class TradeCount:
    """Trade ids seen for one symbol, counted without the stream's gap detector."""

    first: int = -1
    last: int = -1
    received: int = 0
    backwards: int = 0

    def see(self, seq: int) -> None:
        """Count one trade id (an id not above the last one is counted as backwards)."""
        if self.first < 0:
            self.first = seq
        elif seq <= self.last:
            self.backwards += 1
            return
        self.last = seq
        self.received += 1

    @property
    def missing(self) -> int:
        """Ids between the first and the last that never arrived."""
        return 0 if self.first < 0 else (self.last - self.first + 1) - self.received


@dataclass(slots=True)
class SoakResult:
    """Everything measured; ``failures`` lists why the run failed (empty: it passed)."""

    config: dict[str, Any]
    recoveries_s: list[float] = field(default_factory=list)
    stall_detect_s: list[float] = field(default_factory=list)
    injected: dict[str, int] = field(default_factory=dict)
    unrecovered: int = 0
    undetected_stalls: int = 0
    garbage_frames_injected: int = 0
    samples: list[dict[str, float]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    truth_missing: int = 0
    loop_errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when nothing crashed, leaked or went uncounted."""
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready report."""
        s = self.summary
        return {
            "config": self.config,
            "passed": not self.failures,
            "failures": self.failures,
            "faults_injected": self.injected,
            "recovery_s": _quantiles(self.recoveries_s),
            "stall_detection_s": _quantiles(self.stall_detect_s),
            "unrecovered": self.unrecovered,
            "undetected_stalls": self.undetected_stalls,
            "messages": s.get("messages"),
            "msgs_per_s": s.get("msgs_per_s"),
            "gaps_counted": s.get("gaps"),
            "missing_counted": s.get("missing"),
            "missing_by_independent_count": self.truth_missing,
            "decode_errors": s.get("decode_errors"),
            "garbage_frames_injected": self.garbage_frames_injected,
            "reconnects": s.get("reconnects"),
            "stalls": s.get("stalls"),
            "rest_fills": s.get("rest_ticks"),
            "rest_requests": s.get("rest_requests"),
            "exchange_to_receive_us": s.get("latency_us", {}).get("exchange_to_receive"),
            "samples": self.samples,
            "loop_errors": self.loop_errors[:10],
        }


def _quantiles(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"count": 0, "p50": None, "p99": None, "max": None}
    ordered = sorted(values)

    def q(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 3)

    return {"count": len(values), "p50": q(0.5), "p99": q(0.99), "max": round(ordered[-1], 3)}


def _rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * PAGE / 1e6


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _start_sim(config: SoakConfig) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    proc = subprocess.Popen(
        [*SIM_COMMAND, "--rate", str(config.rate), "--seed", str(config.seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)
    if not line:
        proc.kill()
        raise RuntimeError("letrade sim did not start")
    return proc, json.loads(line)


async def run_soak(
    config: SoakConfig,
    progress: Callable[[str], None] = lambda _: None,
    stop: asyncio.Event | None = None,
) -> SoakResult:
    """Run the soak (until done or ``stop``); returns the measurements."""
    stop = stop or asyncio.Event()
    from letrade_cli.bench.fault_proxy import FaultProxy
    from letrade_cli.config.stream import EndpointSettings, StreamSettings
    from letrade_cli.connector.service import StreamService
    from letrade_cli.core.tick import Tick
    from letrade_cli.venues.registry import embedded_spec

    result = SoakResult(config=_config_dict(config))
    loop = asyncio.get_running_loop()
    previous_handler = loop.get_exception_handler()

    def on_loop_error(_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        result.loop_errors.append(
            str(context.get("message")) + ": " + repr(context.get("exception"))
        )

    loop.set_exception_handler(on_loop_error)
    sim_proc, urls = await _start_sim(config)
    proxy = await FaultProxy("127.0.0.1", int(urls["port"])).start()
    try:
        symbols = _symbols(config.symbols)
        settings = StreamSettings(
            venue=embedded_spec().name,  # its endpoints point at the proxy: no embedded sim
            symbols=symbols,
            channels=["bookTicker", "trade"],
            endpoints=EndpointSettings(
                ws_url=f"ws://127.0.0.1:{proxy.port}", rest_url=urls["rest_url"]
            ),
            source="bench soak",
        ).validate()
        trades: dict[str, TradeCount] = {s: TradeCount() for s in symbols}

        def count(tick: Tick) -> None:
            if tick.channel == "trade":
                trades[tick.symbol].see(tick.seq)

        async with StreamService(settings, backend=config.backend) as service:
            service.bus.subscribe(count)
            supervisor = service.supervisor
            assert supervisor is not None
            await supervisor.wait_live(config.recover_timeout_s)
            stats = service.stats
            started = time.monotonic()
            end = started + config.minutes * 60
            sim_cpu0, own_cpu0 = _cpu_s(sim_proc.pid), _own_cpu_s()
            last_sample = (started, own_cpu0, sim_cpu0)
            next_sample = started + config.sample_every_s
            next_fault = started + config.every_s
            n = 0
            while True:
                now = time.monotonic()
                if now >= next_sample or now >= end or stop.is_set():
                    last_sample = _sample(result, stats, sim_proc.pid, started, last_sample)
                    next_sample += config.sample_every_s
                    progress(
                        f"{result.samples[-1]['minute']:.1f} min: "
                        f"rss {result.samples[-1]['rss_mb']:.1f} MB, "
                        f"cpu {result.samples[-1]['cpu_pct']:.0f}%, "
                        f"{stats.messages:,} messages, {stats.reconnects} reconnects"
                    )
                if now >= end or stop.is_set():
                    break
                if now >= next_fault and config.faults:
                    kind = config.faults[n % len(config.faults)]
                    n += 1
                    result.injected[kind] = result.injected.get(kind, 0) + 1
                    await _inject(kind, proxy, service, config, result)
                    next_fault = max(next_fault + config.every_s, time.monotonic() + 1.0)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(
                        max(0.0, min(next_fault, next_sample, end) - time.monotonic())
                    ):
                        await stop.wait()
            for task in service._tasks:
                if task.done() and not task.cancelled() and task.exception() is not None:
                    result.loop_errors.append(f"{task.get_name()} crashed: {task.exception()!r}")
            result.summary = service.summary()
            result.summary["rest_ticks"] = stats.rest_ticks
            result.truth_missing = sum(t.missing for t in trades.values())
    finally:
        await proxy.stop()
        sim_proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            sim_proc.wait(timeout=10)
        if sim_proc.poll() is None:
            sim_proc.kill()
        loop.set_exception_handler(previous_handler)
    _judge(result, config)
    return result


async def _inject(
    kind: str, proxy: Any, service: Any, config: SoakConfig, result: SoakResult
) -> None:
    supervisor = service.supervisor
    stats = service.stats
    connects = stats.connects
    t0 = time.monotonic()
    if kind == "garbage":
        result.garbage_frames_injected += proxy.garbage(config.garbage_frames)
        return
    if kind == "cut":
        proxy.cut()
    elif kind == "corrupt":
        proxy.corrupt()
    elif kind == "stall":
        stalls = stats.stalls
        proxy.stall(config.stall_s)
        try:
            await supervisor.wait_until(lambda: stats.stalls > stalls, config.stall_s)
            result.stall_detect_s.append(time.monotonic() - t0)
            t0 = time.monotonic()  # the disconnect happens when the stall is declared
        except TimeoutError:
            result.undetected_stalls += 1
            return
    try:
        await supervisor.wait_until(
            lambda: stats.connects > connects and supervisor.is_live, config.recover_timeout_s
        )
        result.recoveries_s.append(time.monotonic() - t0)
    except TimeoutError:
        result.unrecovered += 1


def _sample(
    result: SoakResult,
    stats: Any,
    sim_pid: int,
    started: float,
    last: tuple[float, float, float],
) -> tuple[float, float, float]:
    now, own, sim = time.monotonic(), _own_cpu_s(), _cpu_s(sim_pid)
    wall = max(now - last[0], 1e-9)
    result.samples.append(
        {
            "minute": round((now - started) / 60, 2),
            "rss_mb": round(_rss_mb(), 2),
            "cpu_pct": round((own - last[1]) / wall * 100, 1),
            "sim_rss_mb": round(_rss_mb(sim_pid), 2),
            "sim_cpu_pct": round((sim - last[2]) / wall * 100, 1),
            "open_fds": len(os.listdir("/proc/self/fd")),
            "messages": stats.messages,
        }
    )
    return now, own, sim


def _judge(result: SoakResult, config: SoakConfig) -> None:
    s = result.summary
    fail = result.failures
    if result.loop_errors:
        fail.append(f"{len(result.loop_errors)} unhandled errors: {result.loop_errors[0]}")
    if result.unrecovered:
        fail.append(f"{result.unrecovered} disconnects did not recover")
    if result.undetected_stalls:
        fail.append(f"{result.undetected_stalls} stalls were not detected within {config.stall_s}s")
    if s.get("missing") != result.truth_missing:
        fail.append(
            f"missing trades counted {s.get('missing')}, independent count {result.truth_missing}"
        )
    if s.get("decode_errors") != result.garbage_frames_injected:
        fail.append(
            f"decode errors {s.get('decode_errors')}, garbage frames injected "
            f"{result.garbage_frames_injected}"
        )
    samples = result.samples
    if len(samples) >= 3:  # growth after the first minute needs two samples after it
        growth = samples[-1]["rss_mb"] - samples[0]["rss_mb"]
        if growth > config.rss_growth_limit_mb:
            fail.append(f"RSS grew {growth:.1f} MB after the first sample")
    if samples and samples[-1]["open_fds"] > samples[0]["open_fds"] + 5:
        fail.append(f"open files grew from {samples[0]['open_fds']} to {samples[-1]['open_fds']}")
    if not s.get("messages"):
        fail.append("no messages received")


def _symbols(n: int) -> list[str]:
    """The first ``n`` markets the embedded venue lists (USDT quotes first)."""
    from letrade_cli.sim.server import SimExchange
    from letrade_cli.venues.registry import embedded_spec

    listed = SimExchange().markets(embedded_spec().dialect)
    return sorted(listed, key=lambda s: (not s.endswith("USDT"), s))[:n]


def _config_dict(config: SoakConfig) -> dict[str, Any]:
    return {
        "minutes": config.minutes,
        "rate": config.rate,
        "faults": list(config.faults),
        "every_s": config.every_s,
        "symbols": config.symbols,
        "stall_s": config.stall_s,
        "backend": config.backend,
        "cpus": os.cpu_count(),
    }


def render_soak(report: dict[str, Any], console: Any) -> None:
    """The report as a Rich table on ``console`` (stderr)."""
    from rich.table import Table

    if not report:
        return
    cfg = report["config"]
    table = Table(
        title=f"letrade bench soak · {cfg['minutes']:g} min · {cfg['rate']:,.0f} msg/s · "
        f"faults {','.join(cfg['faults'])} every {cfg['every_s']:g}s",
        show_header=False,
    )
    table.add_column("figure", style="dim")
    table.add_column("value", justify="right")

    def q(d: dict[str, Any]) -> str:
        if not d.get("count"):
            return "—"
        return f"n {d['count']} · p50 {d['p50']} · p99 {d['p99']} · max {d['max']}"

    rows = [
        ("result", "PASSED" if report["passed"] else "FAILED: " + "; ".join(report["failures"])),
        ("faults injected", ", ".join(f"{k} {v}" for k, v in report["faults_injected"].items())),
        ("recovery s", q(report["recovery_s"])),
        ("stall detection s", q(report["stall_detection_s"])),
        ("unrecovered", str(report["unrecovered"])),
        ("messages", f"{report['messages'] or 0:,} ({report['msgs_per_s'] or 0:,.0f}/s)"),
        (
            "gaps",
            f"{report['gaps_counted']} gaps · {report['missing_counted']} missing counted · "
            f"{report['missing_by_independent_count']} by independent count",
        ),
        (
            "decode errors",
            f"{report['decode_errors']} (garbage frames injected "
            f"{report['garbage_frames_injected']})",
        ),
        ("reconnects · stalls", f"{report['reconnects']} · {report['stalls']}"),
        ("rest fills", f"{report['rest_fills']} ({report['rest_requests']} requests)"),
    ]
    for sample in report["samples"]:
        rows.append(
            (
                f"minute {sample['minute']:g}",
                f"rss {sample['rss_mb']:.1f} MB · cpu {sample['cpu_pct']:.0f}% · "
                f"sim rss {sample['sim_rss_mb']:.1f} MB · sim cpu {sample['sim_cpu_pct']:.0f}% · "
                f"fds {sample['open_fds']}",
            )
        )
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)
