"""The bench modes, registered once: what ``bench all`` runs, how each is drawn, its HTML charts.

Each ``Mode`` names its suite run (``quick`` -> document), its tables (``render``) and its
``--html`` figures as ``"module:function"``, imported only when called: importing this module
costs nothing, so ``letrade --help`` and ``letrade bench --help`` stay light. ``MODES`` is in
the order of a full run (cheap and CPU-only first, the network modes last); a document of a
mode not registered here is drawn as ``LATENCY`` (its ``series``). The ``letrade bench``
commands take their one-line help (``summary``) from here; ``all`` and ``soak`` are commands,
not modes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console

    from letrade_cli.bench.common import Progress

Document = dict[str, Any]


def _load(target: str) -> Callable[..., Any]:
    """The function a ``"module:function"`` target names (the module imported now)."""
    module, _, name = target.partition(":")
    return cast("Callable[..., Any]", getattr(importlib.import_module(module), name))


@dataclass(frozen=True, slots=True)
class Mode:
    """One bench mode: its name, one-line help, and where its run, tables and figures live."""

    name: str
    summary: str
    run_target: str  # (quick, progress) -> document
    render_target: str  # (document, console) -> None: tables, targets, verdict
    figures_target: str  # (document) -> plotly figures

    def run(self, quick: bool, progress: Progress) -> Document:
        """Run the mode for ``bench all`` (``quick``: small sizes); its result document."""
        doc: Document = _load(self.run_target)(quick, progress)
        return doc

    def render(self, doc: Document, console: Console) -> None:
        """Print the document's tables (then its targets and verdict) on ``console``."""
        _load(self.render_target)(doc, console)

    def figures(self, doc: Document) -> list[Any]:
        """The document's ``--html`` figures (plotly is imported here, not before)."""
        figs: list[Any] = _load(self.figures_target)(doc)
        return figs


_BENCH = "letrade_cli.bench"
MODES: tuple[Mode, ...] = (
    Mode(
        "startup",
        "Wall time of letrade --help (and two subcommands) beside python -c pass; their imports.",
        f"{_BENCH}.startup:suite_run",
        f"{_BENCH}.render:render_startup",
        f"{_BENCH}.html:startup_figures",
    ),
    Mode(
        "cache",
        "PriceCache beside cachetools.TTLCache: ns per get/put and hit rate, Zipf symbol mix.",
        f"{_BENCH}.cache:suite_run",
        f"{_BENCH}.render:render_cache",
        f"{_BENCH}.html:cache_figures",
    ),
    Mode(
        "ingest",
        "Full ingest path (frame -> Tick -> cache -> bus) against bare WebSocket clients.",
        f"{_BENCH}.ingest.run:suite_run",
        f"{_BENCH}.ingest.report:render",
        f"{_BENCH}.html:ingest_figures",
    ),
    Mode(
        "replay",
        "Full-speed paper replays of the Parquet store: 1M quotes and a year of 1m bars, rows/s.",
        f"{_BENCH}.replay:suite_run",
        f"{_BENCH}.replay:render",
        f"{_BENCH}.replay:figures",
    ),
    Mode(
        "order",
        "REST round trips to the sim: pooled vs a new connection, signed orders vs unsigned GETs.",
        f"{_BENCH}.order:suite_run",
        f"{_BENCH}.render:render_order",
        f"{_BENCH}.html:latency_figures",
    ),
    Mode(
        "e2e",
        "Exchange event to sim ack through stream, cache, strategy and a signed order, per stage.",
        f"{_BENCH}.e2e:suite_run",
        f"{_BENCH}.render:render_e2e",
        f"{_BENCH}.html:e2e_figures",
    ),
    Mode(
        "restart",
        "kill -9 and network cuts in trade run: the venue's orders and fills vs the ledger.",
        f"{_BENCH}.restart:suite_run",
        f"{_BENCH}.restart:render",
        f"{_BENCH}.restart:figures",
    ),
)
# A document of any other mode: its ``series`` as latency percentiles and histograms.
LATENCY = Mode(
    "latency",
    "Latency percentiles per series.",
    "",
    f"{_BENCH}.render:render_latency",
    f"{_BENCH}.html:latency_figures",
)
BY_NAME: dict[str, Mode] = {mode.name: mode for mode in MODES}


def names() -> list[str]:
    """The registered modes' names, in the order ``bench all`` runs them."""
    return [mode.name for mode in MODES]


def mode(name: str) -> Mode:
    """The registered mode ``name`` (``KeyError`` for another name)."""
    return BY_NAME[name]


def for_document(name: str | None) -> Mode:
    """How to draw a document of mode ``name``: its registered mode, else ``LATENCY``."""
    return BY_NAME.get(name or "", LATENCY)
