"""Render an ingest-benchmark document: a Rich table (stderr) or a Markdown table (notes)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

COLUMNS = (
    "client",
    "kind",
    "msg/s (median)",
    "min..max",
    "vs ws+json",
    "vs fastest bare",
    "CPU s",
    "CPU %",
    "p50 µs",
    "p90 µs",
    "p99 µs",
    "p99.9 µs",
    "max µs",
    "peak RSS MB",
)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def _us(latency: dict[str, int] | None, key: str) -> str:
    if not latency:
        return "—"
    return f"{latency[key] / 1000:.1f}"


def rows(doc: dict[str, Any]) -> list[list[str]]:
    """One row of strings per client, in ``COLUMNS`` order."""
    out = []
    for entry in doc["clients"]:
        med = entry["median"]
        if med is None:
            reason = entry["skipped"] or _first_error(entry) or "no complete run"
            out.append([entry["client"], entry["kind"], f"skipped: {reason}"] + [""] * 11)
            continue
        latency = med.get("latency_ns")
        spread = f"{_rate(entry['msg_per_s_min'])}..{_rate(entry['msg_per_s_max'])}"
        rss = entry["peak_rss_kb_max"]
        out.append(
            [
                entry["client"],
                entry["kind"],
                _rate(entry["msg_per_s"]),
                spread,
                _x(entry["vs_websockets_json"]),
                _x(entry["vs_fastest_bare"]),
                f"{med['cpu_s']:.2f}",
                f"{med['cpu_util'] * 100:.0f}",
                _us(latency, "p50"),
                _us(latency, "p90"),
                _us(latency, "p99"),
                _us(latency, "p99_9"),
                _us(latency, "max"),
                "—" if not rss else f"{rss / 1024:.1f}",
            ]
        )
    return out


def _first_error(entry: dict[str, Any]) -> str | None:
    for run in entry["runs"]:
        if run.get("error"):
            return str(run["error"])
    return None


def _title(doc: dict[str, Any]) -> str:
    cfg, machine = doc["config"], doc["machine"]
    return (
        f"ingest: {cfg['messages']:,} msgs x {cfg['symbols']} symbols, median of {cfg['repeat']}"
        f" | {machine['nproc']} CPUs, Python {machine['python']}, "
        f"load {machine['loadavg_start']} -> {machine.get('loadavg_end')}"
    )


def _target_lines(doc: dict[str, Any]) -> list[str]:
    lines = []
    for t in doc["targets"]:
        verdict = {True: "met", False: "NOT met", None: "n/a"}[t["met"]]
        note = f" ({t['note']})" if t.get("note") else ""
        lines.append(
            f"{t['client']}: {t['target']} = {t['value']} (target {t['op']} {t['threshold']}):"
            f" {verdict}{note}"
        )
    return lines


def _notes(doc: dict[str, Any]) -> list[str]:
    """Anything odd in a full-path run: decode errors, gaps, a close that raised."""
    lines = []
    for entry in doc["clients"]:
        med = entry["median"]
        if entry["kind"] != "full" or med is None:
            continue
        extra = med.get("extra", {})
        odd = {
            k: extra.get(k)
            for k in ("decode_errors", "gaps", "missing", "close_error")
            if extra.get(k)
        }
        if odd:
            lines.append(f"{entry['client']}: " + ", ".join(f"{k}={v}" for k, v in odd.items()))
    return lines


def render(doc: dict[str, Any], console: Console) -> None:
    """Print the comparison table and the target verdicts."""
    table = Table(title=_title(doc), title_justify="left")
    for i, name in enumerate(COLUMNS):
        table.add_column(name, justify="left" if i < 2 else "right", no_wrap=i == 0)
    for row in rows(doc):
        table.add_row(*row)
    if not console.is_terminal:  # CI logs, files: Rich would assume 80 columns and squash it
        console = Console(file=console.file, width=200, highlight=False)
    console.print(table)
    for line in _notes(doc):
        console.print(f"note: {line}", style="yellow", highlight=False)
    for line in _target_lines(doc):
        style = "green" if line.endswith(": met") else "red" if "NOT met" in line else ""
        console.print(line, style=style or None, highlight=False)


def markdown(doc: dict[str, Any]) -> str:
    """The same table as Markdown, for an issue's closing note."""
    lines = [
        f"_{_title(doc)}_",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" if i < 2 else "---:" for i in range(len(COLUMNS))) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows(doc)]
    lines += ["", *(f"- {line}" for line in _target_lines(doc))]
    lines += [f"- note: {line}" for line in _notes(doc)]
    return "\n".join(lines) + "\n"
