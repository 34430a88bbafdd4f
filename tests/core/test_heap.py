"""The collector's settings around a command's steady state come back as they were."""

from __future__ import annotations

import gc

import pytest

from letrade_cli.core.heap import BATCH_THRESHOLDS, batch_collections


def test_batch_collections_raise_the_thresholds_and_restore_them() -> None:
    before = gc.get_threshold()
    with batch_collections():
        assert gc.get_threshold() == BATCH_THRESHOLDS
    assert gc.get_threshold() == before


def test_batch_collections_restore_the_thresholds_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), batch_collections():
        raise RuntimeError("the replay failed")
    assert gc.get_threshold() == before
