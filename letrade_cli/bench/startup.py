"""``letrade bench startup``: how long ``letrade ... --help`` takes, and what it imports.

Each command runs as a whole new process, ``runs`` times after one warm-up, the commands
interleaved run by run (so drift in the machine's load hits them alike); the wall time around
``subprocess.run`` and the child's CPU time (``RUSAGE_CHILDREN``) are recorded, medians reported,
next to ``python -c pass`` (the interpreter's own floor). One more run of each ``letrade`` command
with ``PYTHONPROFILEIMPORTTIME=1`` (Python's ``-X importtime``) lists the modules it imported: the
heavy ones (``HEAVY``) must not be among them for help, and the slowest imports are named.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from letrade_cli.bench.common import Metric, Progress, finish_document, median, metric, new_document

# Modules ``letrade --help`` must never import: network stacks, AWS, our I/O layers.
HEAVY = (
    "aiohttp",
    "websockets",
    "picows",
    "boto3",
    "botocore",
    "uvloop",
    "letrade_cli.venues",
    "letrade_cli.connector",
    "letrade_cli.sim",
    "letrade_cli.serverless",
    "letrade_cli.trading",
)
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("--help",),
    ("stream", "--help"),
    ("lambda-deploy", "--help"),
)
TARGET_HELP_MS = 150.0


@dataclass(slots=True)
class StartupBenchConfig:
    """``runs`` counted runs per command after ``warmup`` uncounted ones."""

    runs: int = 10
    warmup: int = 1

    def validate(self) -> None:
        """Raise ``ValueError`` for counts that cannot run."""
        if self.runs < 1:
            raise ValueError("--runs must be at least 1")
        if self.warmup < 0:
            raise ValueError("--warmup must be 0 or more")


def letrade_argv() -> tuple[list[str], str]:
    """How to start ``letrade``: the console script beside this Python, else ``python -c``."""
    script = Path(sys.executable).with_name("letrade")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)], str(script)
    found = shutil.which("letrade")
    if found:
        return [found], found
    code = "import sys; from letrade_cli.cli.app import main; sys.argv[0] = 'letrade'; main()"
    return [sys.executable, "-c", code], "python -c 'main()' (no console script found)"


def _run_once(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(wall ms, child CPU ms, stderr) of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter_ns()
    proc = subprocess.run(
        argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60
    )
    wall_ms = (time.perf_counter_ns() - start) / 1e6
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_ms = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or [""]
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {tail[0]}")
    return wall_ms, cpu_ms, proc.stderr


def parse_importtime(stderr: str) -> list[tuple[str, int, int, int]]:
    """``(module, depth, self_us, cumulative_us)`` per line of ``-X importtime`` output."""
    out = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3:
            continue
        try:
            name = parts[2].rstrip()
            depth = (len(name) - len(name.lstrip()) - 1) // 2
            out.append((name.strip(), depth, int(parts[0]), int(parts[1])))
        except ValueError:
            continue
    return out


def heavy_imported(modules: list[str]) -> list[str]:
    """The ``HEAVY`` modules (or their submodules) among ``modules``, sorted."""
    found: set[str] = set()
    for name in modules:
        found.update(h for h in HEAVY if name == h or name.startswith(h + "."))
    return sorted(found)


def import_report(argv: list[str]) -> dict[str, Any]:
    """Import count, the heavy modules imported and the ten slowest imports (two top levels)."""
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    _, _, stderr = _run_once(argv, env)
    rows = parse_importtime(stderr)
    modules = [row[0] for row in rows]
    top_level = [(name, cum) for name, depth, _, cum in rows if depth <= 1]
    slowest = sorted(top_level, key=lambda row: row[1], reverse=True)[:10]
    return {
        "modules": len(modules),
        "heavy": heavy_imported(modules),
        "slowest_ms": [[name, round(cum / 1000, 1)] for name, cum in slowest],
    }


def run_startup_benchmark(
    config: StartupBenchConfig, progress: Progress | None = None
) -> dict[str, Any]:
    """Time every command; return the JSON document."""
    config.validate()
    say = progress or (lambda _msg: None)
    base, how = letrade_argv()
    doc = new_document("startup", {**asdict(config), "letrade": how})
    commands: list[tuple[str, list[str]]] = [("python -c pass", [sys.executable, "-c", "pass"])]
    commands += [("letrade " + " ".join(args), [*base, *args]) for args in COMMANDS]
    walls: dict[str, list[float]] = {name: [] for name, _ in commands}
    cpus: dict[str, list[float]] = {name: [] for name, _ in commands}
    for run in range(config.warmup + config.runs):
        for name, argv in commands:
            wall_ms, cpu_ms, _ = _run_once(argv)
            if run >= config.warmup:
                walls[name].append(round(wall_ms, 2))
                cpus[name].append(round(cpu_ms, 2))
        if run >= config.warmup:
            say(f"[{run - config.warmup + 1}/{config.runs}] " + _line(walls))
    floor = median(walls["python -c pass"])
    results = []
    for name, argv in commands:
        entry: dict[str, Any] = {
            "command": name,
            "wall_ms": round(median(walls[name]), 1),
            "wall_ms_min": round(min(walls[name]), 1),
            "wall_ms_max": round(max(walls[name]), 1),
            "cpu_ms": round(median(cpus[name]), 1),
            "over_python_ms": round(median(walls[name]) - floor, 1),
            "runs_ms": walls[name],
        }
        if name.startswith("letrade"):
            entry["imports"] = import_report(argv)
        results.append(entry)
    doc["commands"] = results
    help_entry = results[1]
    doc["targets"] = [
        {
            "target": "letrade --help wall ms",
            "value": help_entry["wall_ms"],
            "op": "<",
            "threshold": TARGET_HELP_MS,
            "met": help_entry["wall_ms"] < TARGET_HELP_MS,
        },
        {
            "target": "heavy modules imported by any --help",
            "value": sorted({h for r in results[1:] for h in r["imports"]["heavy"]}),
            "op": "==",
            "threshold": [],
            "met": not any(r["imports"]["heavy"] for r in results[1:]),
        },
    ]
    return finish_document(doc, headline_metrics(results))


def suite_run(quick: bool, progress: Progress) -> dict[str, Any]:
    """``letrade bench all``'s startup run (``quick``: 2 runs per command)."""
    config = StartupBenchConfig(runs=2) if quick else StartupBenchConfig()
    return run_startup_benchmark(config, progress=progress)


def _line(walls: dict[str, list[float]]) -> str:
    return ", ".join(f"{name}: {values[-1]:.0f} ms" for name, values in walls.items())


def headline_metrics(results: list[dict[str, Any]]) -> list[Metric]:
    """Median wall ms of every command (for --compare)."""
    return [
        metric("startup." + r["command"].replace(" ", "_"), r["wall_ms"], "ms", "lower")
        for r in results
    ]
