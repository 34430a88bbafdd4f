"""`letrade bench order|e2e` against a real `letrade sim` process: shapes, never timings."""

from __future__ import annotations

import json
import sys
from typing import Any

from tests.bench.test_bench_modes import bench, check_envelope


def check_latency(lat: dict[str, Any], count: int | None = None) -> None:
    assert lat["count"] > 0
    if count is not None:
        assert lat["count"] == count
    assert 0 <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p99_9"] <= lat["max"]
    assert sum(n for _, n in lat["buckets"]) == lat["count"]


def test_order_mode_times_every_series_against_the_sim() -> None:
    proc = bench("order", "-n", "15", "--warmup", "2", "--json", timeout=180)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    check_envelope(doc, "order")
    labels = [s["label"] for s in doc["series"]]
    assert labels == [
        "aiohttp pooled GET",
        "unsigned pooled",
        "unsigned new conn",
        "signed pooled",
        "signed new conn",
        "ws bare ping",
        "ws-api signed order.place",
        "ws-api order.place (logon)",
    ]
    for series in doc["series"]:
        assert series["errors"] == 0, series  # every signed order was accepted by the sim
        check_latency(series["latency_ns"], count=15)
    assert doc["sign_ns"] > 0
    assert set(doc["pooling_saves_us"]) == {"unsigned", "signed"}
    cost = doc["ws_own_cost"]
    assert set(cost) == {
        "ping_p50_us",
        "signed_minus_ping_us",
        "signed_over_ping",
        "logon_minus_ping_us",
        "logon_over_ping",
    }
    assert cost["signed_over_ping"] > 0 and cost["logon_over_ping"] > 0
    names = {m["name"] for m in doc["metrics"]}
    assert {"order.signed_pooled.p50_us", "order.ws_own_cost_us"} <= names
    assert "order.ws-api_order.place_(logon).p99_us" in names
    assert "ws-api order.place (logon)" in proc.stderr  # the table's row


def test_e2e_mode_measures_every_stage_per_level() -> None:
    proc = bench(
        "e2e",
        "-d",
        "1.5",
        "--rates",
        "0,1k",
        "--warmup",
        "1",
        "--order-rate",
        "50",
        "--order-transport",
        "rest",
        "--json",
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    check_envelope(doc, "e2e")
    assert [lv["background_rate"] for lv in doc["levels"]] == [0, 1000]
    # The sim's --rate counts aggTrade too, which the client does not take: it is asked for more.
    assert [lv["sim_rate"] for lv in doc["levels"]] == [50.0, 1370]
    for level in doc["levels"]:
        assert level["errors"] == 0, level["error_sample"]
        assert level["achieved_msg_per_s"] > 0
        measured = level["orders_measured"]
        assert measured > 0 and level["orders"] > measured  # warm-up left out
        check_latency(level["total_ns"], count=measured)
        check_latency(level["bare_ns"], count=measured)
        stages = level["stages_ns"]
        for stage in ("recv->bus", "strategy", "signal->send", "send->ack"):
            check_latency(stages[stage], count=measured)
            assert stages[stage]["p50"] <= level["total_ns"]["max"]
        if sys.platform == "linux":  # time ready to run but waiting for a CPU, both processes
            for who in ("client", "sim"):
                wait = level["cpu_wait"][who]
                assert wait["cpu_pct"] > 0 and wait["wait_ms_per_s"] >= 0, level["cpu_wait"]
            assert level["others_cpu_pct"] >= 0
    assert "0.86 ms total" in proc.stderr  # the published claim beside ours
    assert {lv["transport"] for lv in doc["levels"]} == {"rest"}
    assert doc["idle_ws_order_ns"] is None  # the idle ws series runs with ws only
    rows = doc["side_by_side"]
    assert all(set(row) == {"background_rate", "rest", "ws_over_rest_p50"} for row in rows)


def test_e2e_both_transports_side_by_side() -> None:
    proc = bench(
        "e2e",
        "-d",
        "1",
        "--rates",
        "0",
        "--warmup",
        "1",
        "--order-rate",
        "50",
        "--order-transport",
        "both",
        "--json",
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    check_envelope(doc, "e2e")
    assert [(lv["background_rate"], lv["transport"]) for lv in doc["levels"]] == [
        (0, "rest"),
        (0, "ws"),
    ]
    for level in doc["levels"]:
        assert level["errors"] == 0, level["error_sample"]
        # every order went over the transport the level asked for
        assert set(level["carried_by"]) == {level["transport"]}, level["carried_by"]
        check_latency(level["total_ns"], count=level["orders_measured"])
        check_latency(level["bare_ns"], count=level["orders_measured"])
    assert [lv["bare_kind"] for lv in doc["levels"]] == ["bare aiohttp GET", "bare ws ping"]
    (row,) = doc["side_by_side"]
    assert row["background_rate"] == 0 and row["ws_over_rest_p50"] > 0
    for transport in ("rest", "ws"):
        cells = row[transport]
        for key in ("recv->ack", "send->ack", "bare"):
            assert 0 < cells[key]["p50_us"] <= cells[key]["p99_us"], (transport, key, cells)
    idle = doc["idle_ws_order_ns"]
    check_latency(idle, count=doc["config"]["idle_orders"])
    labels = [s["label"] for s in doc["series"]]
    assert "0/s ws total" in labels and "0/s rest total" in labels
    assert "0/s ws bare ws ping" in labels and labels[-1] == "idle bare signed order.place"
    names = {m["name"] for m in doc["metrics"]}
    assert {"e2e.bg0.total_p50_us", "e2e.bg0.ws.total_p50_us", "e2e.idle_ws_order_p50_us"} <= names
    assert doc["targets"] == []  # targets are set at 10k msg/s, which did not run
    assert "recv->ack ws" in proc.stderr  # the side-by-side table


def test_bad_rates_are_a_usage_error() -> None:
    proc = bench("e2e", "--rates", "fast")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: --rates: 'fast' is not a number of msg/s"


def test_bad_order_transport_is_a_usage_error() -> None:
    proc = bench("e2e", "--order-transport", "carrier-pigeon")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: --order-transport must be ws, rest or both, not 'carrier-pigeon'"
    )
