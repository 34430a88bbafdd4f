"""Plugins every test directory can use."""

# `open_page`: headless Chromium for the HTML pages the tool writes (tests/browser/harness.py).
pytest_plugins = ("tests.browser.harness",)
