"""Open the HTML pages Letrade writes in headless Chromium and report what a user would see.

A pytest plugin (``tests/conftest.py`` loads it), so any test can ask for the ``open_page``
fixture::

    def test_dryrun_report(open_page, tmp_path):
        report = write_report(tmp_path / "report.html")      # the page under test
        page = open_page(report)                             # file path or http://127.0.0.1 URL
        page.assert_clean(min_charts=2)                      # no console errors, no outside
                                                             # request, every chart has traces
        assert "Sharpe" in page.text

The browser is Debian's ``/usr/bin/chromium`` driven by Playwright (never a downloaded browser),
launched once per session with the flags below. Every request is routed: ``file://``,
``data:``, ``blob:`` and ``http(s)://127.0.0.1|localhost`` pass; anything else is aborted (it
never leaves the machine) and listed in ``PageReport.outside_requests``. A full-page screenshot
is saved under the test's ``tmp_path``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path(os.environ.get("LETRADE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}

# Per chart on the page: its kind, how many traces its data holds and how many it drew.
CHARTS_JS = """
() => {
  const charts = [];
  for (const el of document.querySelectorAll('.js-plotly-plot')) {
    charts.push({
      kind: 'plotly',
      id: el.id || '',
      traces: Array.isArray(el.data) ? el.data.length : 0,
      drawn: el.querySelectorAll('g.trace, g.scatterlayer .trace, .barlayer .trace').length,
    });
  }
  for (const el of document.querySelectorAll('[data-chart]')) {
    const traces = Number(el.getAttribute('data-traces') || '0');
    charts.push({kind: el.getAttribute('data-chart'), id: el.id || '', traces, drawn: traces});
  }
  return charts;
}
"""


@dataclass(slots=True)
class Chart:
    """One chart on the page: its traces in data, and the ones drawn in the DOM."""

    kind: str
    id: str
    traces: int
    drawn: int


@dataclass(slots=True)
class PageReport:
    """What opening the page showed: errors, requests, charts, text and a screenshot."""

    url: str
    title: str
    text: str
    screenshot: Path
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    def assert_clean(self, *, min_charts: int = 0) -> None:
        """No console or script error, nothing requested off the machine, every chart drawn."""
        assert self.console_errors == [], f"console errors on {self.url}: {self.console_errors}"
        assert self.page_errors == [], f"script errors on {self.url}: {self.page_errors}"
        assert self.outside_requests == [], f"{self.url} asked the internet for: " + ", ".join(
            self.outside_requests
        )
        assert self.failed_requests == [], f"failed requests on {self.url}: {self.failed_requests}"
        assert len(self.charts) >= min_charts, (
            f"{self.url}: {len(self.charts)} chart(s), expected at least {min_charts}"
        )
        empty = [c for c in self.charts if c.traces == 0 or c.drawn == 0]
        assert empty == [], f"charts without traces on {self.url}: {empty}"
        assert self.screenshot.is_file() and self.screenshot.stat().st_size > 0


def is_local(url: str) -> bool:
    """True for the only places a page may load from: files, inline data, this machine."""
    parts = urlsplit(url)
    if parts.scheme in ("file", "data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and (parts.hostname or "") in {
        h.strip("[]") for h in LOCAL_HOSTS
    }


OpenPage = Callable[..., PageReport]


class BrowserWorker:
    """Headless Chromium on a thread of its own.

    Playwright's sync API keeps an asyncio loop marked as running on the thread that drives it;
    on the test thread that would break every asyncio test after it. So the browser lives on one
    worker thread for the session, and each ``visit`` runs there and returns a plain report.
    """

    def __init__(self, executable: Path) -> None:
        self.executable = executable
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self._manager: Any = None
        self._browser: Any = None

    def visit(self, url: str, screenshot: Path, timeout_ms: float) -> PageReport:
        """Open ``url`` in a fresh context and report what happened (runs on the worker)."""
        future = self._pool.submit(self._visit, url, screenshot, timeout_ms)
        return future.result(timeout=timeout_ms / 1000 * 3 + 30)

    def close(self) -> None:
        """Close the browser and stop the worker thread."""
        self._pool.submit(self._stop).result(timeout=60)
        self._pool.shutdown()

    def _start(self) -> Any:
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._manager = sync_playwright()
            playwright = self._manager.__enter__()
            self._browser = playwright.chromium.launch(
                executable_path=str(self.executable), args=CHROMIUM_ARGS
            )
        return self._browser

    def _stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._manager.__exit__(None, None, None)
            self._browser = self._manager = None

    def _visit(self, url: str, screenshot: Path, timeout_ms: float) -> PageReport:
        context = self._start().new_context(viewport={"width": 1280, "height": 900})
        report = PageReport(url=url, title="", text="", screenshot=screenshot)

        def route(route: Any) -> None:
            request_url = route.request.url
            report.requests.append(request_url)
            if is_local(request_url):
                route.continue_()
            else:
                report.outside_requests.append(request_url)
                route.abort("blockedbyclient")

        def console(message: Any) -> None:
            # An aborted outside request is also a console error; it is reported as a request.
            if message.type == "error" and "ERR_BLOCKED_BY_CLIENT" not in message.text:
                report.console_errors.append(message.text)

        def failed(request: Any) -> None:
            if request.url not in report.outside_requests:
                report.failed_requests.append(f"{request.url}: {request.failure}")

        try:
            context.route("**/*", route)
            page = context.new_page()
            page.on("console", console)
            page.on("pageerror", lambda exc: report.page_errors.append(str(exc)))
            page.on("requestfailed", failed)
            page.goto(url, wait_until="load", timeout=timeout_ms)
            page.wait_for_load_state("networkidle", timeout=timeout_ms)
            report.charts = [Chart(**c) for c in page.evaluate(CHARTS_JS)]
            report.title = page.title()
            report.text = page.inner_text("body")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            context.close()
        return report


@pytest.fixture(scope="session")
def chromium() -> Iterator[BrowserWorker]:
    """One headless Chromium per session (skips when Debian's chromium is not installed)."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    worker = BrowserWorker(CHROMIUM)
    try:
        yield worker
    finally:
        worker.close()


@pytest.fixture
def open_page(chromium: BrowserWorker, tmp_path: Path) -> OpenPage:
    """``open_page(path_or_url, screenshot="page.png") -> PageReport``, each in a fresh context."""

    def open_(
        target: str | Path, *, screenshot: str = "page.png", timeout_ms: float = 15_000
    ) -> PageReport:
        url = target if isinstance(target, str) else Path(target).resolve().as_uri()
        return chromium.visit(url, tmp_path / screenshot, timeout_ms)

    return open_
