"""The browser harness on pages the test writes: a Plotly offline page, and pages that misbehave.

The dryrun report and the bench page get their own tests with the same ``open_page`` fixture.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.browser.harness import OpenPage, is_local

pytestmark = pytest.mark.browser


def plotly_page(path: Path) -> Path:
    """Two charts (a line with two traces, a bar chart) with plotly.js inline: no CDN."""
    import plotly.graph_objects as go

    prices = go.Figure(
        [
            go.Scatter(x=[1, 2, 3, 4], y=[100, 101.5, 99.8, 102.2], name="BTCUSDT"),
            go.Scatter(x=[1, 2, 3, 4], y=[100, 100.4, 100.9, 101.0], name="MA(2)"),
        ],
        layout={"title": {"text": "equity"}},
    )
    fills = go.Figure([go.Bar(x=["buy", "sell"], y=[12, 9], name="fills")])
    body = prices.to_html(include_plotlyjs=True, full_html=False, div_id="equity")
    body += fills.to_html(include_plotlyjs=False, full_html=False, div_id="fills")
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>report</title></head>"
        f"<body><h1>Dry run</h1>{body}</body></html>",
        encoding="utf-8",
    )
    return path


def test_plotly_offline_page_renders_every_trace(open_page: OpenPage, tmp_path: Path) -> None:
    page = open_page(plotly_page(tmp_path / "report.html"))
    page.assert_clean(min_charts=2)
    charts = {c.id: (c.traces, c.drawn) for c in page.charts}
    assert charts == {"equity": (2, 2), "fills": (1, 1)}
    assert page.title == "report"
    assert "Dry run" in page.text
    assert page.requests == [page.url], "an offline page loads nothing but itself"
    assert page.screenshot.parent == tmp_path
    assert page.screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_requests_off_the_machine_are_blocked_and_reported(
    open_page: OpenPage, tmp_path: Path
) -> None:
    path = tmp_path / "cdn.html"
    path.write_text(
        "<!doctype html><title>cdn</title><p>hi</p>"
        "<script src='https://cdn.plot.ly/plotly-2.35.2.min.js'></script>"
        "<img src='http://example.com/logo.png'>",
        encoding="utf-8",
    )
    page = open_page(path)
    assert sorted(page.outside_requests) == [
        "http://example.com/logo.png",
        "https://cdn.plot.ly/plotly-2.35.2.min.js",
    ]
    with pytest.raises(AssertionError, match="asked the internet for"):
        page.assert_clean()


def test_console_errors_and_empty_charts_fail_the_page(open_page: OpenPage, tmp_path: Path) -> None:
    path = tmp_path / "broken.html"
    path.write_text(
        "<!doctype html><title>broken</title><div data-chart='equity' data-traces='0'></div>"
        "<script>console.error('no data for equity'); undefinedFunction();</script>",
        encoding="utf-8",
    )
    page = open_page(path)
    assert page.console_errors == ["no data for equity"]
    assert "undefinedFunction is not defined" in page.page_errors[0]
    with pytest.raises(AssertionError, match="console errors"):
        page.assert_clean()
    page.console_errors.clear()
    page.page_errors.clear()
    with pytest.raises(AssertionError, match="charts without traces"):
        page.assert_clean()


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[str]:
    """Serve tmp_path over HTTP on 127.0.0.1 (a port the OS picks)."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_pages_served_from_127_0_0_1_are_local(
    open_page: OpenPage, tmp_path: Path, local_server: str
) -> None:
    plotly_page(tmp_path / "index.html")
    page = open_page(f"{local_server}/index.html")
    page.assert_clean(min_charts=2)


def test_is_local() -> None:
    assert is_local("file:///tmp/a.html")
    assert is_local("data:image/png;base64,AAAA")
    assert is_local("http://127.0.0.1:8000/x")
    assert is_local("ws://localhost:9/ws")
    assert not is_local("https://cdn.plot.ly/plotly.min.js")
    assert not is_local("http://127.0.0.1.example.com/")


async def test_asyncio_still_works_next_to_the_browser(open_page: OpenPage, tmp_path: Path) -> None:
    import asyncio

    # A page opened from inside a running loop, then the loop keeps working.
    page = open_page(plotly_page(tmp_path / "report.html"))
    assert await asyncio.to_thread(lambda: len(page.charts)) == 2
