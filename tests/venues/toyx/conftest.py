"""Registers the toyx venue for the tests in this folder only, and unregisters it afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from letrade_cli.venues import registry

MODULE = "tests.venues.toyx"


@pytest.fixture(autouse=True)
def toyx_registered() -> Iterator[None]:
    """``registry.register`` the toyx package; undo it (the registry has no ``unregister``)."""
    registry.register(MODULE)
    try:
        yield
    finally:
        # No public unregister: remove it from the private list and drop the loaded cache.
        if MODULE in registry._extra:
            registry._extra.remove(MODULE)
        registry._loaded = None
