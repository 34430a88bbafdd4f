"""Registers the toyx venue for the tests in this folder only, and unregisters it afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from letrade_cli.venues import registry

MODULE = "tests.venues.toyx"


@pytest.fixture(autouse=True)
def toyx_registered() -> Iterator[None]:
    """``registry.register`` the toyx package for one test; ``unregister`` it afterwards."""
    registry.register(MODULE)
    try:
        yield
    finally:
        registry.unregister(MODULE)
