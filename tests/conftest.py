"""Plugins every test directory can use, and a watchdog for a suite that will not exit."""

import faulthandler
import sys

import pytest

# `open_page`: headless Chromium for the HTML pages the tool writes (tests/browser/harness.py).
pytest_plugins = ("tests.browser.harness",)

# A thread or child left running after the last test keeps the interpreter from exiting; under
# CI's buffered output that was a run that timed out with nothing printed.
EXIT_GRACE_S = 120


def pytest_unconfigure(config: pytest.Config) -> None:
    """Dump every thread's stack and exit 1 if the process is still alive EXIT_GRACE_S later."""
    faulthandler.dump_traceback_later(EXIT_GRACE_S, exit=True, file=sys.__stderr__)
