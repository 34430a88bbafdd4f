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


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium per session (skips when Debian's chromium is not installed)."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_page(chromium: Any, tmp_path: Path) -> Iterator[OpenPage]:
    """``open_page(path_or_url, screenshot="page.png") -> PageReport`` in a fresh context."""
    contexts: list[Any] = []

    def open_(
        target: str | Path, *, screenshot: str = "page.png", timeout_ms: float = 15_000
    ) -> PageReport:
        url = target if isinstance(target, str) else Path(target).resolve().as_uri()
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        report = PageReport(url=url, title="", text="", screenshot=tmp_path / screenshot)

        def route(route: Any) -> None:
            request_url = route.request.url
            report.requests.append(request_url)
            if is_local(request_url):
                route.continue_()
            else:
                report.outside_requests.append(request_url)
                route.abort("blockedbyclient")

        context.route("**/*", route)
        page.on(
            "console",
            lambda msg: report.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: report.page_errors.append(str(exc)))
        page.on(
            "requestfailed",
            lambda req: (
                None
                if req.url in report.outside_requests
                else report.failed_requests.append(f"{req.url}: {req.failure}")
            ),
        )
        page.goto(url, wait_until="load", timeout=timeout_ms)
        page.wait_for_load_state("networkidle", timeout=timeout_ms)
        report.charts = [Chart(**c) for c in page.evaluate(CHARTS_JS)]
        report.title = page.title()
        report.text = page.inner_text("body")
        page.screenshot(path=str(report.screenshot), full_page=True)
        # Aborted outside requests show up as console errors too; report them once, as requests.
        report.console_errors = [
            e for e in report.console_errors if "ERR_BLOCKED_BY_CLIENT" not in e
        ]
        return report

    yield open_
    for context in contexts:
        context.close()
