"""The ``TickSource`` seam: where a dry run's ticks come from.

Every source runs the same ingest pipeline (decode -> Tick -> ``PriceCache`` -> bus): strategies
subscribe to ``bus`` and read other prices from ``cache`` (so its hit rate is meaningful). The
live source wraps the ``StreamService`` of ``letrade stream``; the replay source
(``letrade_cli.trading.replay``) feeds stored data through the venue's decoders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from letrade_cli.config.stream import StreamSettings
from letrade_cli.connector.recorder import FrameRecorder
from letrade_cli.core.bus import Bus
from letrade_cli.core.cache import PriceCache
from letrade_cli.core.orders import SymbolRules
from letrade_cli.core.tick import Tick

# What a source calls after each tick: an awaitable when the engine has work that awaits
# (sending orders), None when the tick was handled in place (no coroutine per tick).
Step = Callable[[], Awaitable[None] | None]


class TickSource(Protocol):
    """Ticks on ``bus``, latest prices in ``cache``.

    Attributes:
        venue: The venue whose symbols the ticks carry.
        symbols: The symbols being delivered (known after ``start``).
        position: Frames consumed so far (a replay's cursor; live: a counter).
        replay: True when the ticks are stored data (the run's clock is the data's clock).
    """

    venue: str
    symbols: list[str]
    bus: Bus[Tick]
    cache: PriceCache
    position: int
    replay: bool

    async def start(self) -> None:
        """Connect or open the data."""
        ...

    def split_symbol(self, symbol: str) -> tuple[str, str]:
        """``(base, quote)`` of one of the source's symbols, in its venue's format."""
        ...

    async def run(self, stop: asyncio.Event, step: Step) -> None:
        """Deliver ticks until ``stop`` is set or the data ends; await ``step()`` after ticks.

        A replay awaits ``step`` after every frame, so orders caused by one tick are placed
        before the next is read (deterministic); the live source after each burst of ticks.
        """
        ...

    async def close(self) -> None:
        """Disconnect; safe to call twice."""
        ...

    async def market_rules(self, symbols: list[str]) -> dict[str, SymbolRules]:
        """The venue's trading filters for these symbols, where the source can read them."""
        ...

    def summary(self) -> dict[str, Any]:
        """Counters (frames, messages, cache hits) as a JSON-ready dict."""
        ...


class LiveSource:
    """Today's ``StreamService`` as a ``TickSource``.

    With ``record``, the frames received while ``run`` delivers (what the run acts on) are
    written to that file in the recorded-frame format; the file ends at the last frame before the
    last ``step``, so ``--replay FILE`` sees exactly the frames whose signals the run handled.
    """

    replay = False

    def __init__(
        self, settings: StreamSettings, *, backend: str = "auto", record: str | None = None
    ) -> None:
        from letrade_cli.connector.service import StreamService
        from letrade_cli.venues.registry import venue_of

        self.service = StreamService(settings, backend=backend)
        self.venue = self.service.spec.name
        self.package = venue_of(self.service.spec)
        self.bus: Bus[Tick] = self.service.bus
        self.cache: PriceCache = self.service.cache
        self.symbols: list[str] = []
        self.position = 0
        self._arrived = asyncio.Event()
        self.recorder: FrameRecorder | None = None
        if record is not None:
            self.recorder = self.service.recorder = FrameRecorder(record, venue=self.venue)

    async def start(self) -> None:
        """Start the stream (and the embedded exchange for ``--venue sim``)."""
        self.bus.subscribe(self._on_tick)
        try:
            await self.service.start()
        except BaseException:
            await self.service.aclose()
            raise
        self.symbols = list(self.service.symbols)

    def _on_tick(self, tick: Tick) -> None:
        self.position += 1
        self._arrived.set()

    async def run(self, stop: asyncio.Event, step: Step) -> None:
        """Call ``step`` after each burst of ticks until ``stop``."""
        stopper = asyncio.ensure_future(stop.wait())
        recorder = self.recorder
        if recorder is not None:
            recorder.paused = False
        try:
            while not stop.is_set():
                arrived = asyncio.ensure_future(self._arrived.wait())
                await asyncio.wait({arrived, stopper}, return_when=asyncio.FIRST_COMPLETED)
                arrived.cancel()
                self._arrived.clear()
                if recorder is not None:
                    recorder.mark()
                if (work := step()) is not None:
                    await work
        finally:
            stopper.cancel()
            if recorder is not None:
                recorder.paused = True

    async def close(self) -> None:
        """Stop the stream (and close the recording, cut at its last handled frame)."""
        try:
            await self.service.aclose()
        finally:
            if self.recorder is not None:
                self.recorder.close(to_mark=True)

    def split_symbol(self, symbol: str) -> tuple[str, str]:
        """``(base, quote)`` from the venue's market list, else its symbol format."""
        return self.package.symbols.split(symbol, self.service.markets)

    async def market_rules(self, symbols: list[str]) -> dict[str, SymbolRules]:
        """The venue's filters where it publishes them unsigned; else none (permissive).

        A dry run needs no keys, so a venue whose filters need a signed call gives none.
        """
        rest = self.service.rest
        if not self.package.capabilities.public_rules or rest is None or not symbols:
            return {}
        orders = self.package.order_api(self.venue)
        answers = [await rest.request(request) for request in orders.rules_requests(symbols)]
        return orders.parse_rules_answers(answers, symbols)

    def summary(self) -> dict[str, Any]:
        """The stream's summary (messages, gaps, latency, cache, the recording)."""
        snap = self.service.summary()
        if self.recorder is not None:
            snap["record"] = {"path": str(self.recorder.path), "frames": self.recorder.kept}
        return snap
