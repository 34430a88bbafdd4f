"""``--html FILE``: one self-contained page (plotly inlined, works offline) for a bench run.

Per mode: throughput or time bars per client, and latency histograms on a log x axis drawn from
the project's histogram buckets. Then the published claims beside ours, and the machine.
plotly is imported here only (``pip install 'letrade-cli[bench]'``).
"""

from __future__ import annotations

import html
import json
from typing import Any

from letrade_cli.bench.claims import claims

Series = tuple[str, list[list[int]]]  # (label, [[low_ns, count], ...])


def _bars(title: str, unit: str, labels: list[str], values: list[float]) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=labels, y=values, text=[f"{v:,.4g}" for v in values]))
    fig.update_layout(title=title, yaxis_title=unit, height=420, margin={"t": 60, "b": 120})
    return fig


def _histograms(title: str, series: list[Series]) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    for label, buckets in series:
        if not buckets:
            continue
        fig.add_trace(
            go.Scatter(
                x=[max(low, 1) / 1000 for low, _ in buckets],
                y=[count for _, count in buckets],
                mode="lines",
                line_shape="hv",
                name=label,
            )
        )
    fig.update_xaxes(type="log", title="latency (µs, log scale)")
    fig.update_layout(title=title, yaxis_title="samples", height=420)
    return fig


def ingest_figures(doc: dict[str, Any]) -> list[Any]:
    """``ingest``: msg/s per client, and decode -> cache latency histograms when recorded."""
    ran = [c for c in doc["clients"] if c.get("msg_per_s")]
    figs = [
        _bars(
            "ingest: msg/s per client (median run)",
            "msg/s",
            [c["client"] for c in ran],
            [c["msg_per_s"] for c in ran],
        )
    ]
    series = [
        (c["client"], c["median"].get("extra", {}).get("latency_buckets", []))
        for c in ran
        if c["median"] and c["median"].get("extra")
    ]
    if any(buckets for _, buckets in series):
        figs.append(_histograms("ingest: decode -> cache latency (full path)", series))
    return figs


def cache_figures(doc: dict[str, Any]) -> list[Any]:
    """``cache``: ns per put and per get, per cache."""
    caches = doc["caches"]
    labels = [c["cache"] for c in caches]
    return [
        _bars("cache: ns per put", "ns/op", labels, [c["put_ns"] for c in caches]),
        _bars("cache: ns per get", "ns/op", labels, [c["get_ns"] for c in caches]),
    ]


def startup_figures(doc: dict[str, Any]) -> list[Any]:
    """``startup``: median wall ms per command."""
    cmds = doc["commands"]
    return [
        _bars(
            "startup: wall ms per command (median)",
            "ms",
            [c["command"] for c in cmds],
            [c["wall_ms"] for c in cmds],
        )
    ]


def _latency(mode: str, series: list[dict[str, Any]]) -> list[Any]:
    """p50 bars and latency histograms of ``series`` of ``{label, latency_ns: {..., buckets}}``."""
    figs = []
    if series:
        figs.append(
            _bars(
                f"{mode}: p50 per client",
                "µs",
                [s["label"] for s in series],
                [s["latency_ns"]["p50"] / 1000 for s in series],
            )
        )
        figs.append(
            _histograms(
                f"{mode}: latency",
                [(s["label"], s["latency_ns"].get("buckets", [])) for s in series],
            )
        )
    return figs


def latency_figures(doc: dict[str, Any]) -> list[Any]:
    """Modes whose document lists ``series`` (``order``, and any mode not registered)."""
    return _latency(str(doc.get("mode")), doc.get("series", []))


def e2e_figures(doc: dict[str, Any]) -> list[Any]:
    """``e2e``, per level: the total and the bare round trip it is judged against."""
    ends = ("total", "bare aiohttp GET", "bare ws ping", "idle bare signed order.place")
    return _latency("e2e", [s for s in doc.get("series", []) if s["label"].endswith(ends)])


def figures(doc: dict[str, Any]) -> list[Any]:
    """Every figure for one mode's document (modes: ``bench.modes``)."""
    from letrade_cli.bench.modes import for_document

    return for_document(doc.get("mode")).figures(doc)


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r.get(c) or ''))}</td>" for c in columns) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def page(doc: dict[str, Any]) -> str:
    """The whole page for a mode's document or for ``all``'s (which holds ``modes``)."""
    docs: dict[str, dict[str, Any]] = doc.get("modes") or {str(doc.get("mode")): doc}
    parts = []
    first = True
    for mode, mode_doc in docs.items():
        parts.append(f"<h2>{html.escape(mode)}</h2>")
        for fig in figures(mode_doc):
            parts.append(fig.to_html(full_html=False, include_plotlyjs=first))
            first = False
    rows = claims(docs)
    columns = ["claim", "ours", "conditions", "comparable", "what_we_measure", "note"]
    machine = json.dumps(doc.get("machine", {}), indent=2)
    title = f"letrade bench {doc.get('mode')} — {doc.get('started_at', '')}"
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;"
        "vertical-align:top;text-align:left}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{''.join(parts)}"
        f"<h2>Published claims beside ours</h2>{_table(rows, columns)}"
        f"<h2>Machine</h2><pre>{html.escape(machine)}</pre></body></html>\n"
    )
