"""`letrade bench cache|startup` in a subprocess, `--compare`, `--html`: shapes, never timings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
MACHINE_KEYS = {
    "nproc",
    "cpu_model",
    "python",
    "implementation",
    "event_loop",
    "libraries",
    "loadavg_start",
    "loadavg_end",
}


def bench(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    code = "import sys; from letrade_cli.cli.app import main; sys.argv[0] = 'letrade'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "bench", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )


def check_envelope(doc: dict[str, Any], mode: str) -> None:
    assert doc["schema"] == f"letrade.bench.{mode}/1" and doc["mode"] == mode
    assert set(doc["machine"]) >= MACHINE_KEYS
    assert doc["machine"]["nproc"] >= 1
    assert doc["elapsed_s"] >= 0
    for m in doc["metrics"]:
        assert set(m) == {"name", "value", "unit", "better"}
        assert m["better"] in ("higher", "lower") and m["name"].startswith(mode + ".")


@pytest.fixture(scope="module")
def cache_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, Path]:
    tmp = tmp_path_factory.mktemp("cache")
    out, page = tmp / "cache.json", tmp / "cache.html"
    proc = bench("cache", "-n", "3000", "-r", "1", "--json", f"--out={out}", f"--html={page}")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert json.loads(out.read_text()) == doc
    return doc, out, page


def test_cache_mode_reports_both_caches_and_equal_hit_rates(
    cache_run: tuple[dict[str, Any], Path, Path],
) -> None:
    doc, _, _ = cache_run
    check_envelope(doc, "cache")
    names = [c["cache"] for c in doc["caches"]]
    assert names == ["loop", "PriceCache", "PriceCache (own clock)", "cachetools.TTLCache"]
    for entry in doc["caches"]:
        assert entry["put_ns"] > 0 and entry["get_ns"] > 0
        assert len(entry["put_ns_runs"]) == 1
    assert [s["scenario"] for s in doc["hit_rate"]] == ["fits", "half"]
    for scenario in doc["hit_rate"]:
        rates = scenario["results"]
        assert 0.0 < rates["PriceCache"] <= 1.0
        # Both are LRU + TTL: the same workload must give the same hit rate.
        assert rates["PriceCache"] == rates["cachetools.TTLCache"]
    fits, half = (s["results"]["PriceCache"] for s in doc["hit_rate"])
    assert half < fits  # half the symbols fit: evictions cost hits
    assert doc["verdict"]
    assert {"cache.PriceCache.get_ns", "cache.hit_rate.fits"} <= {m["name"] for m in doc["metrics"]}


def test_html_page_is_self_contained(cache_run: tuple[dict[str, Any], Path, Path]) -> None:
    _, _, page = cache_run
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and "Plotly.newPlot" in text
    assert "<script src=" not in text  # plotly.js is inlined: the page works offline
    assert "Published claims beside ours" in text and "90 % cache hit rate" in text


def test_html_page_renders_in_a_real_browser(
    cache_run: tuple[dict[str, Any], Path, Path], open_page: Any
) -> None:
    _, _, page = cache_run
    report = open_page(page, screenshot="bench-cache.png")
    report.assert_clean(min_charts=2)  # put and get bars, each drawn with its traces
    assert "Published claims beside ours" in report.text


def test_html_page_of_a_suite_has_a_section_per_mode(
    cache_run: tuple[dict[str, Any], Path, Path],
) -> None:
    from letrade_cli.bench.html import page

    doc, _, _ = cache_run
    text = page({"mode": "all", "modes": {"cache": doc}, "machine": doc["machine"]})
    assert "<h2>cache</h2>" in text and text.count("Plotly.newPlot") == 2  # put and get bars


def _scaled(doc: dict[str, Any], factor: float) -> dict[str, Any]:
    """A copy whose every metric is `factor` times better than `doc`'s."""
    saved = json.loads(json.dumps(doc))
    for m in saved["metrics"]:
        m["value"] = m["value"] / factor if m["better"] == "lower" else m["value"] * factor
    return saved


def test_compare_fails_on_an_injected_regression_and_passes_otherwise(
    cache_run: tuple[dict[str, Any], Path, Path], tmp_path: Path
) -> None:
    doc, _, _ = cache_run
    much_better = tmp_path / "much-better.json"  # this run is then ~1000x worse on every metric
    much_better.write_text(json.dumps(_scaled(doc, 1000.0)))
    proc = bench("cache", "-n", "3000", "-r", "1", f"--compare={much_better}", "--fail-over=50")
    assert proc.returncode == 1, proc.stderr
    assert "REGRESSION" in proc.stderr and "worse than" in proc.stderr
    assert "Traceback" not in proc.stderr

    much_worse = tmp_path / "much-worse.json"
    much_worse.write_text(json.dumps(_scaled(doc, 0.001)))
    proc = bench("cache", "-n", "3000", "-r", "1", f"--compare={much_worse}", "--fail-over=50")
    assert proc.returncode == 0, proc.stderr
    assert "ok: nothing worse by more than 50 %" in proc.stderr


def test_bad_compare_file_and_lone_fail_over_are_usage_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": 1}')
    proc = bench("cache", "-n", "10", f"--compare={junk}")
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: {junk}: not a letrade bench result (no 'metrics' list)"
    proc = bench("cache", "-n", "10", "--fail-over=5")
    assert proc.returncode == 2 and "--fail-over needs --compare FILE" in proc.stderr


def test_startup_mode_times_help_and_finds_no_heavy_import() -> None:
    proc = bench("startup", "-n", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    check_envelope(doc, "startup")
    commands = [c["command"] for c in doc["commands"]]
    assert commands == [
        "python -c pass",
        "letrade --help",
        "letrade stream --help",
        "letrade lambda-deploy --help",
    ]
    for entry in doc["commands"]:
        assert 0 < entry["wall_ms_min"] <= entry["wall_ms"] <= entry["wall_ms_max"]
        assert entry["cpu_ms"] >= 0
    for entry in doc["commands"][1:]:
        imports = entry["imports"]
        assert imports["modules"] > 10  # the import log was read
        assert imports["heavy"] == [], entry["command"]  # no network/AWS/exchange code for help
    heavy_target = doc["targets"][1]
    assert heavy_target["met"] is True and heavy_target["value"] == []
