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
    ]
    for series in doc["series"]:
        assert series["errors"] == 0, series  # every signed order was accepted by the sim
        check_latency(series["latency_ns"], count=15)
    assert doc["sign_ns"] > 0
    assert set(doc["pooling_saves_us"]) == {"unsigned", "signed"}
    assert "order.signed_pooled.p50_us" in {m["name"] for m in doc["metrics"]}


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


def test_bad_rates_are_a_usage_error() -> None:
    proc = bench("e2e", "--rates", "fast")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: --rates: 'fast' is not a number of msg/s"
