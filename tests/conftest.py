"""Plugins every test directory can use, and what a hung test or suite leaves on record."""

import asyncio
import faulthandler
import gc
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


def pytest_exception_interact(
    node: pytest.Item, call: pytest.CallInfo[object], report: pytest.TestReport
) -> None:
    """After pytest-timeout fails a test, the chain of awaits of each task still unfinished
    (the test's own at least): the timeout's traceback shows only the event loop's ``select``."""
    if call.excinfo is None or "from pytest-timeout" not in str(call.excinfo.value):
        return
    tasks = [o for o in gc.get_objects() if isinstance(o, asyncio.Task) and not o.done()]
    lines = []
    for task in sorted(tasks, key=lambda t: t.get_name()):
        lines.append(f"-- task {task.get_name()}")
        awaited: object = task.get_coro()
        while awaited is not None:  # down the chain of awaits to what it waits for
            frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
            if frame is None:
                lines.append(f"     waiting for {awaited!r}"[:300])
                break
            code = frame.f_code
            lines.append(f"     {code.co_filename}:{frame.f_lineno} {code.co_name}")
            awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    report.sections.append(("unfinished asyncio tasks", "\n".join(lines) or "none"))
