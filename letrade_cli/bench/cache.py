"""``letrade bench cache``: PriceCache beside ``cachetools.TTLCache`` under a Zipf symbol mix.

Two questions, answered in one run in this process:

* **Speed**: ns per ``put`` and per ``get`` over the same pre-drawn key sequence (a Zipf mix over
  ``symbols`` keys: a few symbols take most updates, as on a real venue), median of ``repeat``
  rounds, the caches interleaved round by round. Every figure includes the Python loop and one
  bound-method call, for every cache alike (``loop`` row: the same loop calling a no-op).
  ``PriceCache`` runs twice: with ``now_ns`` passed (how the ingest pipeline calls it: the
  receive stamp is the clock) and on its own clock (how ``TTLCache`` always runs).
* **Hit rate**: a writer puts one tick per step at ``rate`` msg/s on a simulated clock while a
  reader gets one Zipf-drawn symbol per step; a hit is a fresh entry. The rate depends on the
  workload (symbols, capacity, TTL, rate), not on the code: both caches must agree, and do.
"""

from __future__ import annotations

import gc
import itertools
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from letrade_cli.bench.common import Metric, Progress, finish_document, median, metric, new_document
from letrade_cli.core.cache import PriceCache
from letrade_cli.core.tick import Tick

TTLCACHE = "cachetools.TTLCache"


@dataclass(slots=True)
class CacheBenchConfig:
    """What to run: ``ops`` operations per timed loop, ``repeat`` rounds (median reported)."""

    ops: int = 200_000
    symbols: int = 200
    zipf_s: float = 1.1
    repeat: int = 5
    ttl_ms: float = 500.0
    capacity: int = 1000
    rate: float = 10_000.0
    seed: int = 20240601

    def validate(self) -> None:
        """Raise ``ValueError`` for sizes that cannot run."""
        if self.ops < 1:
            raise ValueError("--ops must be at least 1")
        if self.symbols < 1:
            raise ValueError("--symbols must be at least 1")
        if self.repeat < 1:
            raise ValueError("--repeat must be at least 1")
        if self.zipf_s <= 0:
            raise ValueError("--zipf-s must be above 0")
        if self.ttl_ms <= 0 or self.rate <= 0 or self.capacity < 1:
            raise ValueError("ttl, rate and capacity must be positive")


def zipf_keys(symbols: int, n: int, s: float, rng: random.Random) -> list[str]:
    """``n`` keys ``sim:S0000``.. drawn with probability proportional to ``1 / rank**s``."""
    names = [f"sim:S{i:04d}" for i in range(symbols)]
    cum = list(itertools.accumulate(1.0 / (rank**s) for rank in range(1, symbols + 1)))
    return rng.choices(names, cum_weights=cum, k=n)


def _tick() -> Tick:
    return Tick("sim", "BTCUSDT", "bookTicker", 64000.0, 64000.5, None, 1.0, 0, time.time_ns())


def _timed(loop: Callable[[], None], ops: int) -> float:
    """Ns per op of one run of ``loop`` (garbage collected first, collector left on)."""
    gc.collect()
    start = time.perf_counter_ns()
    loop()
    return (time.perf_counter_ns() - start) / ops


Loops = dict[str, Callable[[], None]]


def _loops(name: str, keys: Sequence[str], config: CacheBenchConfig) -> Loops:
    """``put`` and ``get`` loops over ``keys`` for one cache (a fresh cache per call)."""
    tick = _tick()
    ttl_ns = int(config.ttl_ms * 1e6)
    if name == "loop":

        def noop(key: str, value: Tick | None = None) -> None:
            return None

        def loop_put() -> None:
            for key in keys:
                noop(key, tick)

        return {"put": loop_put, "get": loop_put}
    if name.startswith("PriceCache"):
        cache = PriceCache(max_size=config.capacity, ttl_ns=ttl_ns)
        put, get = cache.put, cache.get
        if name == "PriceCache":  # as the pipeline calls it: the receive stamp is the clock
            stamp = time.monotonic_ns()

            def price_put() -> None:
                for key in keys:
                    put(key, tick, stamp)

            def price_get() -> None:
                for key in keys:
                    get(key, stamp)

            return {"put": price_put, "get": price_get}

        def own_put() -> None:
            for key in keys:
                put(key, tick)

        def own_get() -> None:
            for key in keys:
                get(key)

        return {"put": own_put, "get": own_get}
    from cachetools import TTLCache

    ttl_cache: TTLCache[str, Tick] = TTLCache(maxsize=config.capacity, ttl=config.ttl_ms / 1000)
    setitem, lookup = ttl_cache.__setitem__, ttl_cache.get

    def ttl_put() -> None:
        for key in keys:
            setitem(key, tick)

    def ttl_get() -> None:
        for key in keys:
            lookup(key)

    return {"put": ttl_put, "get": ttl_get}


def _contenders() -> tuple[list[str], str | None]:
    names = ["loop", "PriceCache", "PriceCache (own clock)"]
    try:
        import cachetools  # noqa: F401
    except ImportError:
        return names, "cachetools not installed (pip install 'letrade-cli[bench]')"
    return [*names, TTLCACHE], None


VARIANTS = {
    "loop": "the same loop calling a no-op function (the floor under every row)",
    "PriceCache": "now_ns passed, as the ingest pipeline calls it",
    "PriceCache (own clock)": "time.monotonic_ns() read per call",
    TTLCACHE: "cache[key] = tick / cache.get(key), time.monotonic per call",
}


def hit_rates(config: CacheBenchConfig, capacity: int, steps: int) -> dict[str, float]:
    """Hit rate of each cache in the simulated writer/reader workload (see module docstring)."""
    rng = random.Random(config.seed)
    writes = zipf_keys(config.symbols, steps, config.zipf_s, rng)
    reads = zipf_keys(config.symbols, steps, config.zipf_s, rng)
    step_ns = int(1e9 / config.rate)
    ttl_ns = int(config.ttl_ms * 1e6)
    tick = _tick()
    out: dict[str, float] = {}
    price = PriceCache(max_size=capacity, ttl_ns=ttl_ns)
    now = 0
    for write, read in zip(writes, reads, strict=True):
        now += step_ns
        price.put(write, tick, now)
        price.get(read, now)
    out["PriceCache"] = round(price.hit_rate, 5)
    try:
        from cachetools import TTLCache
    except ImportError:
        return out
    clock = [0]
    ttl_cache: TTLCache[str, Tick] = TTLCache(maxsize=capacity, ttl=ttl_ns, timer=lambda: clock[0])
    hits = 0
    for write, read in zip(writes, reads, strict=True):
        clock[0] += step_ns
        ttl_cache[write] = tick
        if ttl_cache.get(read) is not None:
            hits += 1
    out[TTLCACHE] = round(hits / steps, 5)
    return out


def run_cache_benchmark(
    config: CacheBenchConfig, progress: Progress | None = None
) -> dict[str, Any]:
    """Time every cache ``config.repeat`` times, measure hit rates; return the JSON document."""
    config.validate()
    say = progress or (lambda _msg: None)
    doc = new_document("cache", asdict(config))
    names, missing = _contenders()
    keys = zipf_keys(config.symbols, config.ops, config.zipf_s, random.Random(config.seed))
    say(f"{config.ops:,} Zipf(s={config.zipf_s}) keys over {config.symbols} symbols")
    runs: dict[str, dict[str, list[float]]] = {n: {"put": [], "get": []} for n in names}
    for round_no in range(1, config.repeat + 1):
        for name in names:
            loops = _loops(name, keys, config)
            runs[name]["put"].append(_timed(loops["put"], config.ops))  # fills the cache
            runs[name]["get"].append(_timed(loops["get"], config.ops))
        line = ", ".join(
            f"{n}: put {runs[n]['put'][-1]:.0f} get {runs[n]['get'][-1]:.0f} ns" for n in names
        )
        say(f"[{round_no}/{config.repeat}] {line}")
    caches = [
        {
            "cache": name,
            "variant": VARIANTS[name],
            "put_ns": round(median(runs[name]["put"]), 1),
            "get_ns": round(median(runs[name]["get"]), 1),
            "put_ns_runs": [round(x, 1) for x in runs[name]["put"]],
            "get_ns_runs": [round(x, 1) for x in runs[name]["get"]],
        }
        for name in names
    ]
    doc["caches"] = caches
    doc["skipped"] = {TTLCACHE: missing} if missing else {}
    steps = min(config.ops, 200_000)
    scenarios = [("fits", config.capacity), ("half", max(1, config.symbols // 2))]
    doc["hit_rate"] = [
        {
            "scenario": scenario,
            "capacity": capacity,
            "symbols": config.symbols,
            "ttl_ms": config.ttl_ms,
            "rate": config.rate,
            "steps": steps,
            "results": hit_rates(config, capacity, steps),
        }
        for scenario, capacity in scenarios
    ]
    doc["verdict"] = verdict(caches)
    return finish_document(doc, headline_metrics(doc))


def suite_run(quick: bool, progress: Progress) -> dict[str, Any]:
    """``letrade bench all``'s cache run (``quick``: 20,000 ops, one round)."""
    config = CacheBenchConfig(ops=20_000, repeat=1) if quick else CacheBenchConfig()
    return run_cache_benchmark(config, progress=progress)


def verdict(caches: list[dict[str, Any]]) -> str:
    """One honest sentence: how PriceCache compares with TTLCache in this run."""
    by_name = {c["cache"]: c for c in caches}
    ours, lib = by_name.get("PriceCache"), by_name.get(TTLCACHE)
    if ours is None or lib is None:
        return "cachetools not installed: no comparison in this run"
    put_x = lib["put_ns"] / ours["put_ns"]
    get_x = lib["get_ns"] / ours["get_ns"]
    if put_x < 1.1 and get_x < 1.1:
        return (
            f"{TTLCACHE} is as fast as PriceCache here (put {put_x:.2f}x, get {get_x:.2f}x of "
            "ours): the library would do"
        )
    return (
        f"PriceCache is faster: {TTLCACHE} takes {put_x:.2f}x the time per put and "
        f"{get_x:.2f}x per get in the same run"
    )


def headline_metrics(doc: dict[str, Any]) -> list[Metric]:
    """Ns per put/get of every cache and the hit rate of every scenario (for --compare)."""
    out: list[Metric] = []
    for entry in doc["caches"]:
        if entry["cache"] == "loop":
            continue
        name = "cache." + entry["cache"].replace(" ", "_").replace("(", "").replace(")", "")
        out.append(metric(f"{name}.put_ns", entry["put_ns"], "ns/op", "lower"))
        out.append(metric(f"{name}.get_ns", entry["get_ns"], "ns/op", "lower"))
    for scenario in doc["hit_rate"]:
        value = scenario["results"].get("PriceCache")
        if value is not None:
            out.append(metric(f"cache.hit_rate.{scenario['scenario']}", value, "ratio", "higher"))
    return out
