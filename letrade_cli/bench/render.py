"""Draw any mode's result document as Rich tables (stderr), plus the claims and a comparison."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from letrade_cli.bench.claims import NOT_RUN, claims
from letrade_cli.bench.compare import Comparison, lines


def _wide(console: Console) -> Console:
    if console.is_terminal:
        return console
    # CI logs, files: Rich would assume 80 columns and squash the tables.
    return Console(file=console.file, width=200, highlight=False)


def _numeric(cell: str) -> bool:
    return bool(cell) and (cell[0].isdigit() or cell[0] in "+-—")


def _table(title: str, columns: Sequence[str], rows: list[list[str]]) -> Table:
    """Numbers right-aligned, text left; cells are plain text (no Rich markup)."""
    table = Table(title=title, title_justify="left")
    for i, name in enumerate(columns):
        right = i > 0 and bool(rows) and _numeric(rows[0][i])
        table.add_column(name, justify="right" if right else "left", no_wrap=i == 0)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def machine_line(doc: dict[str, Any]) -> str:
    """CPUs, model, Python, loop and the load before -> after, on one line."""
    m = doc["machine"]
    return (
        f"{m['nproc']} CPUs ({m.get('cpu_model') or '?'}), {m['implementation']} {m['python']}, "
        f"{m.get('event_loop', '?')}, load {m['loadavg_start']} -> {m.get('loadavg_end')}"
    )


def _us(ns: float) -> str:
    return f"{ns / 1000:,.1f}"


def cache_tables(doc: dict[str, Any]) -> list[Table]:
    """Ns per op per cache; hit rate per scenario."""
    cfg = doc["config"]
    speed = _table(
        f"cache: {cfg['ops']:,} ops, Zipf s={cfg['zipf_s']} over {cfg['symbols']} symbols, "
        f"median of {cfg['repeat']} | {machine_line(doc)}",
        ("cache", "put ns/op", "get ns/op", "how it is called"),
        [
            [c["cache"], f"{c['put_ns']:,.0f}", f"{c['get_ns']:,.0f}", c["variant"]]
            for c in doc["caches"]
        ],
    )
    names = sorted({n for s in doc["hit_rate"] for n in s["results"]})
    hits = _table(
        "cache hit rate: a Zipf writer and a Zipf reader on a simulated clock",
        ("scenario", "symbols", "capacity", "TTL ms", "writes/s", *names),
        [
            [
                s["scenario"],
                str(s["symbols"]),
                str(s["capacity"]),
                f"{s['ttl_ms']:g}",
                f"{s['rate']:,.0f}",
                *(f"{s['results'][n] * 100:.2f} %" if n in s["results"] else "—" for n in names),
            ]
            for s in doc["hit_rate"]
        ],
    )
    return [speed, hits]


def startup_tables(doc: dict[str, Any]) -> list[Table]:
    """Wall and CPU ms per command; imports per letrade command."""
    rows = []
    for c in doc["commands"]:
        imports = c.get("imports")
        rows.append(
            [
                c["command"],
                f"{c['wall_ms']:.0f}",
                f"{c['wall_ms_min']:.0f}..{c['wall_ms_max']:.0f}",
                f"{c['cpu_ms']:.0f}",
                f"{c['over_python_ms']:+.0f}",
                "" if imports is None else str(imports["modules"]),
                "" if imports is None else (", ".join(imports["heavy"]) or "none"),
            ]
        )
    return [
        _table(
            f"startup: median of {doc['config']['runs']} runs | {machine_line(doc)}",
            ("command", "wall ms", "min..max", "CPU ms", "vs python", "modules", "heavy"),
            rows,
        )
    ]


def latency_tables(doc: dict[str, Any]) -> list[Table]:
    """For modes with ``series`` (order, e2e): p50..max in µs per series."""
    rows = [
        [
            s["label"],
            f"{s['latency_ns']['count']:,}",
            *(_us(s["latency_ns"][k]) for k in ("p50", "p90", "p99", "p99_9", "max")),
        ]
        for s in doc.get("series", [])
    ]
    return [
        _table(
            f"{doc['mode']} | {machine_line(doc)}",
            ("series", "samples", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs"),
            rows,
        )
    ]


def order_tables(doc: dict[str, Any]) -> list[Table]:
    """Round-trip percentiles per series."""
    cfg = doc["config"]
    table = latency_tables(doc)[0]
    table.title = (
        f"order: {cfg['requests']:,} requests per series after {cfg['warmup']} warm-up, "
        f"sim and client on their own CPUs ({cfg['loop']}) | {machine_line(doc)}"
    )
    return [table]


def _pair(cell: dict[str, float] | None) -> str:
    return "—" if cell is None else f"{cell['p50_us']:,.1f} / {cell['p99_us']:,.1f}"


def e2e_tables(doc: dict[str, Any]) -> list[Table]:
    """Per level and transport, p50 / p99 of every stage (µs) and the bare round trip.

    With both transports, a second table sets them side by side per level; then the idle series.
    """
    from letrade_cli.bench.e2e import STAGES

    rows = []
    for lv in doc["levels"]:
        stages = lv["stages_ns"]
        rows.append(
            [
                f"{lv['background_rate']:,}",
                lv.get("transport", "rest"),
                f"{lv['achieved_msg_per_s']:,.0f}",
                f"{lv['orders_measured']}" + (f" ({lv['errors']} err)" if lv["errors"] else ""),
                *(
                    f"{_us(stages[s]['p50'])} / {_us(stages[s]['p99'])}"
                    if stages[s]["count"]
                    else "—"
                    for s in STAGES
                ),
                f"{_us(lv['bare_ns']['p50'])} / {_us(lv['bare_ns']['p99'])}",
                "—" if lv["total_p50_vs_bare_p50"] is None else f"{lv['total_p50_vs_bare_p50']}x",
            ]
        )
    cfg = doc["config"]
    tables = [
        _table(
            f"e2e: p50 / p99 µs per stage, {cfg['duration']:g} s per level, {cfg['trigger']} | "
            f"{machine_line(doc)}",
            (
                "background msg/s",
                "orders over",
                "achieved",
                "orders",
                *STAGES,
                "bare (GET / ws ping)",
                "total/bare p50",
            ),
            rows,
        )
    ]
    pairs = [r for r in doc.get("side_by_side", []) if "rest" in r and "ws" in r]
    if pairs:
        tables.append(
            _table(
                "e2e: rest vs ws (WebSocket API), p50 / p99 µs; bare floor: aiohttp GET for "
                "rest, a bare ws ping for ws",
                (
                    "background msg/s",
                    "recv->ack rest",
                    "recv->ack ws",
                    "send->ack rest",
                    "send->ack ws",
                    "bare rest",
                    "bare ws",
                    "ws/rest p50",
                ),
                [
                    [
                        f"{r['background_rate']:,}",
                        _pair(r["rest"]["recv->ack"]),
                        _pair(r["ws"]["recv->ack"]),
                        _pair(r["rest"]["send->ack"]),
                        _pair(r["ws"]["send->ack"]),
                        _pair(r["rest"]["bare"]),
                        _pair(r["ws"]["bare"]),
                        "—" if r["ws_over_rest_p50"] is None else f"{r['ws_over_rest_p50']}x",
                    ]
                    for r in pairs
                ],
            )
        )
    idle = doc.get("idle_ws_order_ns")
    if idle and idle["count"]:
        tables.append(
            _table(
                "e2e: idle bare signed order.place (no background, no subscription, paced)",
                ("series", "samples", "p50 µs", "p90 µs", "p99 µs", "max µs"),
                [
                    [
                        "idle bare signed order.place",
                        f"{idle['count']:,}",
                        *(_us(idle[k]) for k in ("p50", "p90", "p99", "max")),
                    ]
                ],
            )
        )
    return tables


def claims_table(docs: dict[str, dict[str, Any]], everything: bool) -> Table | None:
    """The published claims beside ours (only those this run measured, unless ``everything``)."""
    rows = [
        [
            c["claim"],
            c["ours"] + (f" ({c['conditions']})" if c["conditions"] else ""),
            c["comparable"],
            c["note"],
        ]
        for c in claims(docs)
        if everything or not c["ours"].startswith(NOT_RUN)
    ]
    if not rows:
        return None
    return _table(
        "published claims (original system) beside what we measure",
        ("claim", "ours", "comparable", "note"),
        rows,
    )


def _show(tables: list[Table], doc: dict[str, Any], console: Console) -> None:
    """The tables, then each target's verdict and the mode's verdict line."""
    for table in tables:
        console.print(table)
    for target in doc.get("targets", []):
        verdict = {True: "met", False: "NOT met", None: "n/a"}[target["met"]]
        console.print(
            f"{target['target']} = {target['value']} (target {target['op']} "
            f"{target['threshold']}): {verdict}",
            style={"met": "green", "NOT met": "red"}.get(verdict),
            highlight=False,
        )
    if doc.get("verdict"):
        console.print(doc["verdict"], highlight=False)


def render_cache(doc: dict[str, Any], console: Console) -> None:
    """``cache``: speed and hit-rate tables, targets, verdict."""
    _show(cache_tables(doc), doc, console)


def render_startup(doc: dict[str, Any], console: Console) -> None:
    """``startup``: the per-command table, targets, verdict."""
    _show(startup_tables(doc), doc, console)


def render_order(doc: dict[str, Any], console: Console) -> None:
    """``order``: round-trip percentiles per series, targets, verdict."""
    _show(order_tables(doc), doc, console)


def render_e2e(doc: dict[str, Any], console: Console) -> None:
    """``e2e``: per-stage latencies per background level, targets, verdict."""
    _show(e2e_tables(doc), doc, console)


def render_latency(doc: dict[str, Any], console: Console) -> None:
    """Any other mode with ``series``: latency percentiles, targets, verdict."""
    _show(latency_tables(doc), doc, console)


def render(doc: dict[str, Any], console: Console) -> None:
    """Print a mode's (or ``all``'s) tables, targets and the claims (modes: ``bench.modes``)."""
    from letrade_cli.bench.modes import for_document

    console = _wide(console)
    docs: dict[str, dict[str, Any]] = doc.get("modes") or {doc["mode"]: doc}
    for mode_doc in docs.values():
        for_document(mode_doc["mode"]).render(mode_doc, console)
    claims_rows = claims_table(docs, everything="modes" in doc)
    if claims_rows is not None:
        console.print(claims_rows)


def render_comparison(comparison: Comparison, console: Console) -> None:
    """One line per shared metric, then the verdict."""
    console = _wide(console)
    for text, style in lines(comparison):
        console.print(text, style=style or None, highlight=False)
