"""Markers of the CLI tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "private_stream: needs LiveVenue's pushed order updates (the venue's private stream)",
    )
