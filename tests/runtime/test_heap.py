"""settle_heap: start-up objects leave the collector's full passes; release_heap undoes it."""

from __future__ import annotations

import gc

from letrade_cli.core.heap import release_heap, settle_heap


class Node:
    def __init__(self) -> None:
        self.me = self


def test_settled_objects_are_skipped_until_released_and_garbage_is_not_kept() -> None:
    garbage = Node()  # a reference cycle nobody holds: settle_heap must collect it, not freeze it
    del garbage
    try:
        frozen = settle_heap()
        assert frozen > 1000  # the interpreter's and pytest's modules, classes, functions
        assert not any(isinstance(o, Node) for o in gc.get_objects())
        assert len(gc.get_objects()) < frozen  # a full pass now walks only what came after
    finally:
        release_heap()
    assert gc.get_freeze_count() == 0
