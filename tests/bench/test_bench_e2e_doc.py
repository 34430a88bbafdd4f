"""The e2e document's side-by-side rows, targets and metrics, from made-up levels (no sim)."""

from __future__ import annotations

from typing import Any

import pytest

from letrade_cli.bench.e2e import (
    E2EBenchConfig,
    headline_metrics,
    p99_beside_bare,
    parse_transports,
    side_by_side,
    targets,
)


def lat(p50_us: float, p99_us: float, count: int = 100) -> dict[str, Any]:
    return {"count": count, "p50": p50_us * 1000, "p99": p99_us * 1000}


def level(rate: int, transport: str, total: float, bare: float) -> dict[str, Any]:
    return {
        "background_rate": rate,
        "transport": transport,
        "bare_kind": {"rest": "bare aiohttp GET", "ws": "bare ws ping"}[transport],
        "orders_measured": 100,
        "total_ns": lat(total, total * 2),
        "stages_ns": {"send->ack": lat(total * 0.8, total * 1.5)},
        "bare_ns": lat(bare, bare * 3),
        "total_p50_vs_bare_p50": round(total / bare, 2),
    }


LEVELS = [
    level(0, "rest", 1500, 400),
    level(0, "ws", 1200, 250),
    level(10_000, "rest", 2000, 500),
    level(10_000, "ws", 1100, 300),
]


@pytest.mark.parametrize(
    ("text", "expected"), [("both", ("rest", "ws")), ("ws", ("ws",)), (" REST ", ("rest",))]
)
def test_order_transport_values(text: str, expected: tuple[str, ...]) -> None:
    assert parse_transports(text) == expected


def test_a_bad_transport_is_refused() -> None:
    with pytest.raises(ValueError, match="must be ws, rest or both"):
        parse_transports("udp")
    with pytest.raises(ValueError, match="must be ws, rest or both"):
        E2EBenchConfig(transports=("quic",)).validate()


def test_side_by_side_pairs_the_transports_per_level() -> None:
    rows = side_by_side(LEVELS)
    assert [r["background_rate"] for r in rows] == [0, 10_000]
    assert rows[1]["ws_over_rest_p50"] == 0.55
    assert rows[1]["ws"]["recv->ack"] == {"p50_us": 1100.0, "p99_us": 2200.0}
    assert rows[1]["rest"]["bare"] == {"p50_us": 500.0, "p99_us": 1500.0}
    assert side_by_side(LEVELS[:1])[0]["ws_over_rest_p50"] is None  # one transport: no ratio


def test_targets_at_10k_per_transport_and_for_the_ws_api() -> None:
    idle = lat(900, 1500)
    found = {t["target"]: t for t in targets(LEVELS, idle)}
    ws_rest = found["ws recv->ack p50 / rest recv->ack p50 at 10k msg/s"]
    assert (ws_rest["value"], ws_rest["threshold"], ws_rest["met"]) == (0.55, 0.6, True)
    ws_idle = found["ws recv->ack p50 at 10k msg/s / idle bare signed order.place p50"]
    assert (ws_idle["value"], ws_idle["threshold"], ws_idle["met"]) == (1.222, 1.3, True)
    assert "rest: total p99 ms at 10k msg/s" in found and "ws: total p99 ms at 10k msg/s" in found
    assert targets(LEVELS[:2], idle) == []  # no 10k level


def test_p99_is_reported_beside_the_bare_echo() -> None:
    beside = p99_beside_bare(LEVELS)
    assert beside == {
        "rest": {"total_p99_ms": 4.0, "bare_p99_ms": 1.5, "bare_kind": "bare aiohttp GET"},
        "ws": {"total_p99_ms": 2.2, "bare_p99_ms": 0.9, "bare_kind": "bare ws ping"},
    }


def test_metrics_keep_the_rest_names_and_mark_the_ws_ones() -> None:
    names = [m["name"] for m in headline_metrics(LEVELS, lat(900, 1500))]
    assert "e2e.bg10000.total_p50_us" in names  # REST: the names of earlier documents
    assert "e2e.bg10000.ws.total_p50_us" in names
    assert names[-2:] == ["e2e.idle_ws_order_p50_us", "e2e.idle_ws_order_p99_us"]
