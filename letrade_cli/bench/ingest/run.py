"""The ingest benchmark: the full Letrade path against bare WebSocket clients, in one run.

One blaster server process (see ``server``) serves the same pre-built Binance frames to every
client; each client runs in its own fresh process (see ``worker``), pinned to one core while the
server owns the other. Clients are interleaved round by round (``repeat`` rounds), so drift in the
machine's load hits all of them alike, and each client's median run (by msg/s) is reported.

``run_ingest_benchmark`` returns a JSON-ready document; ``render`` (in ``report``) draws it.
Only the standard library is imported here: WebSocket libraries load in the worker processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from letrade_cli.bench.common import (
    Metric,
    Progress,
    finish_document,
    median_run,
    metric,
    new_document,
    pick_cpus,
)
from letrade_cli.bench.common import run_worker as common_run_worker
from letrade_cli.bench.ingest.server import DEFAULT_CHUNK_BYTES, BlasterInfo, BlasterProcess
from letrade_cli.bench.ingest.worker import CLIENT_KINDS

SCHEMA = "letrade.bench.ingest/1"
ALL_CLIENTS: tuple[str, ...] = tuple(CLIENT_KINDS)
BASELINE = "websockets-json"
# Throughput targets (issue 9), each against the bare client on the same transport, same run:
# the picows path at 0.75x picows+orjson, the websockets fallback at 1x websockets+json.
TARGET_VS_FASTEST_BARE = 0.75
TARGET_VS_BASELINE = 1.0
TARGET_P99_US = 20.0
TARGET_PEAK_RSS_MB = 80.0
TARGET_RSS_SYMBOLS = 200


@dataclass(slots=True)
class IngestBenchConfig:
    """What to run. Defaults are the issue's: 1M messages over 200 symbols, 3 rounds."""

    messages: int = 1_000_000
    symbols: int = 200
    repeat: int = 3
    clients: Sequence[str] = ALL_CLIENTS
    trade_ratio: float = 0.3
    seed: int = 20240601
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    loop: str = "auto"
    pin: bool = True
    client_timeout_s: float | None = None

    def validate(self) -> None:
        """Raise ``ValueError`` for sizes or names that cannot run."""
        if self.messages < 2:
            raise ValueError("--messages must be at least 2")
        if self.symbols < 1:
            raise ValueError("--symbols must be at least 1")
        if self.repeat < 1:
            raise ValueError("--repeat must be at least 1")
        unknown = [c for c in self.clients if c not in CLIENT_KINDS]
        if unknown:
            raise ValueError(
                f"unknown client(s) {', '.join(unknown)}; choose from {', '.join(ALL_CLIENTS)}"
            )
        if not 0.0 <= self.trade_ratio <= 1.0:
            raise ValueError("trade_ratio must be within 0..1")
        if self.loop not in ("auto", "asyncio", "uvloop"):
            raise ValueError("loop must be auto, asyncio or uvloop")


def run_worker(
    client: str,
    server: BlasterInfo,
    config: IngestBenchConfig,
    cpu: int | None,
) -> dict[str, Any]:
    """Run one client in a fresh interpreter and return its result dict."""
    argv = [
        "-m",
        "letrade_cli.bench.ingest.worker",
        client,
        f"--port={server.port}",
        f"--messages={config.messages}",
        f"--stream-bytes={server.stream_bytes + server.close_frame_bytes}",
        f"--loop={config.loop}",
    ]
    if cpu is not None:
        argv.append(f"--cpu={cpu}")
    # Generous: the slowest client on a loaded 2-core box is ~100k msg/s.
    timeout = config.client_timeout_s or 60.0 + config.messages / 20_000
    result = common_run_worker(argv, timeout)
    if "client" not in result:
        return _failed(client, config, str(result.get("error")))
    return result


def _failed(client: str, config: IngestBenchConfig, error: str) -> dict[str, Any]:
    return {
        "client": client,
        "kind": CLIENT_KINDS[client],
        "messages_expected": config.messages,
        "messages": 0,
        "complete": False,
        "msg_per_s": 0.0,
        "error": error,
        "skipped": None,
    }


def run_ingest_benchmark(
    config: IngestBenchConfig, progress: Progress | None = None
) -> dict[str, Any]:
    """Run every client ``config.repeat`` times against one server; return the JSON document."""
    config.validate()
    say = progress or (lambda _msg: None)
    client_cpu, server_cpu = pick_cpus(config.pin)
    doc = new_document(
        "ingest",
        {
            **{k: v for k, v in asdict(config).items() if k != "clients"},
            "clients": list(config.clients),
            "client_cpu": client_cpu,
            "server_cpu": server_cpu,
            "mix": {"bookTicker": round(1 - config.trade_ratio, 3), "trade": config.trade_ratio},
        },
    )
    say(
        f"building {config.messages:,} frames over {config.symbols} symbols "
        f"(server CPU {server_cpu}, client CPU {client_cpu})"
    )
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in config.clients}
    skipped: dict[str, str] = {}
    with BlasterProcess(
        config.messages,
        config.symbols,
        trade_ratio=config.trade_ratio,
        seed=config.seed,
        chunk_bytes=config.chunk_bytes,
        cpu=server_cpu,
    ) as server:
        doc["server"] = server.raw
        say(
            f"server ready: {server.stream_bytes / 1e6:.1f} MB, "
            f"{server.raw['avg_frame_bytes']} B/frame, built in {server.raw['build_s']} s"
        )
        for round_no in range(1, config.repeat + 1):
            for client in config.clients:
                if client in skipped:
                    continue
                result = run_worker(client, server, config, client_cpu)
                result["round"] = round_no
                if result.get("skipped"):
                    skipped[client] = str(result["skipped"])
                    say(f"[{round_no}/{config.repeat}] {client}: skipped ({result['skipped']})")
                    continue
                runs[client].append(result)
                say(_progress_line(round_no, config.repeat, result))
    doc["clients"] = _summarise(config, runs, skipped)
    doc["targets"] = _targets(config, doc["clients"])
    return finish_document(doc, headline_metrics(doc["clients"]))


def suite_run(quick: bool, progress: Progress) -> dict[str, Any]:
    """``letrade bench all``'s ingest run (``quick``: 50,000 messages, 50 symbols, one run)."""
    config = IngestBenchConfig(messages=50_000, symbols=50, repeat=1) if quick else None
    return run_ingest_benchmark(config or IngestBenchConfig(), progress=progress)


def headline_metrics(clients: list[dict[str, Any]]) -> list[Metric]:
    """msg/s of every client that ran and p99 decode->cache of the full path (for --compare)."""
    out: list[Metric] = []
    for entry in clients:
        med = entry["median"]
        if med is None:
            continue
        name = f"ingest.{entry['client']}"
        out.append(metric(f"{name}.msg_per_s", med["msg_per_s"], "msg/s", "higher"))
        if med.get("latency_ns"):
            p99_us = med["latency_ns"]["p99"] / 1000
            out.append(metric(f"{name}.p99_us", p99_us, "µs", "lower"))
    return out


def _progress_line(round_no: int, repeat: int, result: dict[str, Any]) -> str:
    head = f"[{round_no}/{repeat}] {result['client']}: "
    if result.get("error"):
        return head + f"FAILED ({result['error']})"
    line = head + f"{result['msg_per_s']:,.0f} msg/s"
    if result.get("latency_ns"):
        line += f", p99 {result['latency_ns']['p99'] / 1000:.1f} µs"
    if not result.get("complete"):
        line += f" (INCOMPLETE: {result['messages']:,}/{result['messages_expected']:,})"
    return line


def _summarise(
    config: IngestBenchConfig,
    runs: dict[str, list[dict[str, Any]]],
    skipped: dict[str, str],
) -> list[dict[str, Any]]:
    medians = {c: median_run(r, "msg_per_s") for c, r in runs.items()}
    baseline = medians.get(BASELINE)
    base_rate = baseline["msg_per_s"] if baseline else None
    bare = {
        c: m["msg_per_s"]
        for c, m in medians.items()
        if m is not None and CLIENT_KINDS[c] in ("baseline", "bare")
    }
    fastest = max(bare, key=lambda c: bare[c]) if bare else None
    fastest_rate = bare[fastest] if fastest else None
    out = []
    for client in config.clients:
        med = medians.get(client)
        rates = [r["msg_per_s"] for r in runs[client] if r.get("complete")]
        entry: dict[str, Any] = {
            "client": client,
            "kind": CLIENT_KINDS[client],
            "skipped": skipped.get(client),
            "complete_runs": len(rates),
            "runs_total": len(runs[client]),
            "msg_per_s": med["msg_per_s"] if med else None,
            "msg_per_s_min": min(rates) if rates else None,
            "msg_per_s_max": max(rates) if rates else None,
            "vs_websockets_json": _ratio(med, base_rate),
            "vs_fastest_bare": _ratio(med, fastest_rate),
            "fastest_bare_client": fastest,
            "peak_rss_kb_max": max((r.get("peak_rss_kb", 0) for r in runs[client]), default=None),
            "median": med,
            "runs": runs[client],
        }
        out.append(entry)
    return out


def _ratio(run: dict[str, Any] | None, rate: float | None) -> float | None:
    if run is None or not rate:
        return None
    return round(run["msg_per_s"] / rate, 3)


def _targets(config: IngestBenchConfig, clients: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Throughput (per transport), p99 decode->cache and peak RSS, per full-path client."""
    out = []
    for entry in clients:
        med = entry["median"]
        if entry["kind"] != "full" or med is None:
            continue
        p99 = med["latency_ns"]["p99"] / 1000 if med.get("latency_ns") else None
        rss_mb = entry["peak_rss_kb_max"] / 1024 if entry["peak_rss_kb_max"] else None
        throughput = (
            ("msg/s vs websockets+json", entry["vs_websockets_json"], ">=", TARGET_VS_BASELINE)
            if entry["client"] == "letrade-websockets"
            else ("msg/s vs fastest bare", entry["vs_fastest_bare"], ">=", TARGET_VS_FASTEST_BARE)
        )
        checks: list[tuple[str, float | None, str, float]] = [
            throughput,
            ("p99 decode->cache (µs)", p99, "<", TARGET_P99_US),
            ("peak RSS (MB)", rss_mb, "<", TARGET_PEAK_RSS_MB),
        ]
        for name, value, op, threshold in checks:
            met = None
            if value is not None:
                met = value >= threshold if op == ">=" else value < threshold
            target: dict[str, Any] = {
                "client": entry["client"],
                "target": name,
                "value": None if value is None else round(value, 3),
                "op": op,
                "threshold": threshold,
                "met": met,
            }
            if name.startswith("peak RSS") and config.symbols < TARGET_RSS_SYMBOLS:
                target["note"] = f"measured with {config.symbols} symbols, target is for 200"
            out.append(target)
    return out
