"""Reports from a real run's ledger: JSON and CSV fields, a self-contained HTML page."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from letrade_cli.trading.dryrun import DryRun, DryRunConfig
from letrade_cli.trading.ledger import Ledger
from letrade_cli.trading.replay import ReplaySource
from letrade_cli.trading.report import build_report, max_drawdown, to_csv, write_html
from letrade_cli.trading.synthetic import write_collector_candles

FIELDS = {
    "cache_hit_rate",
    "run_id",
    "status",
    "strategy",
    "pnl",
    "return_pct",
    "win_rate",
    "max_drawdown",
    "max_drawdown_pct",
    "sharpe",
    "fees",
    "trades",
    "round_trips",
    "latency_ms",
    "final_equity",
}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("report")
    write_collector_candles(root / "data", markets=["BTCUSDT", "ETHUSDT"], minutes=720)
    db = root / "ledger.sqlite3"

    async def main() -> str:
        ledger = Ledger(db)
        source = ReplaySource(str(root / "data"))
        await source.start()
        config = DryRunConfig(strategy="sma-cross", replay=str(root / "data"), duration_s=86_400)
        engine = DryRun(ledger, source, config)
        await engine.open()
        assert await engine.run()
        ledger.close()
        return engine.run_id

    return db, asyncio.run(main())


def test_json_report_fields_agree_with_the_ledger(finished_run: tuple[Path, str]) -> None:
    db, run_id = finished_run
    ledger = Ledger(db)
    report = build_report(ledger, run_id)
    fills = ledger.fills(run_id)
    ledger.close()
    assert set(report) >= FIELDS
    assert report["status"] == "finished" and report["trades"] == len(fills) > 0
    assert Decimal(report["fees"]) == sum(f["fee"] for f in fills)
    assert Decimal(report["pnl"]) == Decimal(report["final_equity"]) - Decimal("10000")
    assert report["latency_ms"]["orders"] == report["signals_accepted"]
    assert 0 <= report["win_rate"] <= 1
    assert report["cache_hit_rate"] == 1.0  # every book read found a fresh price


def test_csv_report_has_a_row_per_metric(finished_run: tuple[Path, str]) -> None:
    db, run_id = finished_run
    ledger = Ledger(db)
    report = build_report(ledger, run_id)
    ledger.close()
    rows = dict(csv.reader(io.StringIO(to_csv(report))))
    assert rows["metric"] == "value"
    assert rows["pnl"] == report["display"]["pnl"] and rows["trades"] == str(report["trades"])
    assert "latency_ms.signal_to_ack_p99" in rows


def test_html_report_is_one_self_contained_page(
    finished_run: tuple[Path, str], tmp_path: Path
) -> None:
    db, run_id = finished_run
    ledger = Ledger(db)
    out = tmp_path / "sub" / "report.html"
    write_html(ledger, run_id, out)
    ledger.close()
    page = out.read_text(encoding="utf-8")
    assert page.count("<html") == 1 and "Plotly.newPlot" in page
    # Nothing is fetched: no external scripts, styles, frames or images ...
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?(https?:)?//", page)
    # ... and outside the inlined plotly.js bundle the page names no http(s) URL at all.
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)
    bundle = max(scripts, key=len)
    assert "https://" not in page.replace(bundle, "")
    for name in ("Equity", "Drawdown", "BTCUSDT price", "BTCUSDT buy", "BTCUSDT sell"):
        assert name in page
    report = build_report(Ledger(db), run_id)
    # The title's PnL is rounded money; each mark's hover names its fill; the tables follow.
    assert f"PnL {report['display']['pnl']} {report['quote']}" in page
    assert re.search(r"(BUY|SELL) [0-9.]+ BTCUSDT @ [0-9.]+(<br>|\\u003cbr\\u003e)fee ", page)
    for table in ("Summary", "By symbol", "By exit reason", "Trades (round trips)"):
        assert f"<h2>{table}</h2>" in page
    assert f"<td>{report['display']['final_equity']}</td>" in page


def test_long_lines_are_thinned_but_keep_every_extreme() -> None:
    from letrade_cli.trading.report import PLOT_POINTS, _thin

    assert _thin(10) == list(range(10))
    n = 525_600  # a year of one-minute snapshots
    keep = _thin(n)
    assert len(keep) <= PLOT_POINTS + 2 and keep[0] == 0 and keep[-1] == n - 1
    stride = keep[2] - keep[0]
    assert all(keep[i + 1] == keep[i] + stride - 1 for i in range(0, len(keep) - 2, 2))


def test_max_drawdown_by_hand() -> None:
    series = [Decimal(x) for x in ("100", "120", "90", "110", "80", "130")]
    assert max_drawdown(series) == (Decimal(40), Decimal(40) / Decimal(120))


def test_html_report_renders_in_a_real_browser(
    finished_run: tuple[Path, str], tmp_path: Path, open_page: Any
) -> None:
    db, run_id = finished_run
    ledger = Ledger(db)
    out = tmp_path / "report.html"
    write_html(ledger, run_id, out)
    ledger.close()
    page = open_page(out, screenshot="dryrun-report.png")
    # One figure: equity curve, drawdown, and price with buy/sell markers, each drawn with its
    # traces; no console error, nothing requested beyond the file itself.
    page.assert_clean(min_charts=1)
    assert sum(chart.traces for chart in page.charts) >= 3
    assert run_id in page.text
    assert page.screenshot.stat().st_size > 0
