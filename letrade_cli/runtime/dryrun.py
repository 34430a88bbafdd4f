"""The run loop of `dryrun` and `trade run`: a TickSource and the one engine, shown live or as JSON.

`dryrun` gives the engine the paper broker; `trade run` gives it a ``LiveVenue`` (``LiveSetup``),
starting an embedded sim for ``--venue sim`` without URLs and pointing the feed at it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from letrade_cli.config.trading import NotifySettings
from letrade_cli.connector.source import TickSource
from letrade_cli.core.heap import batch_collections, settled_heap
from letrade_cli.core.stdio import OutputError
from letrade_cli.runtime.jsonl import JsonLineWriter
from letrade_cli.runtime.process import EXIT_OK, RunContext, run
from letrade_cli.trading.dryrun import DryRun, DryRunConfig, Event
from letrade_cli.trading.ledger import Ledger, LedgerWriteError
from letrade_cli.ui.console import err_console

REFRESH_PER_S = 4


@dataclass(slots=True)
class LiveSetup:
    """What `trade run` adds: the venue its orders go to, with keys and order settings."""

    spec: Any  # VenueSpec
    keys: Any  # ApiKeys
    rest_url: str | None = None
    order_settings: Any = None  # OrderSettings


@dataclass(slots=True)
class DryRunOptions:
    """What the command line adds to a config: where, how, and how to show it."""

    db: Path
    json_output: bool = False
    resume: str | None = None
    stream_settings: Any = None  # StreamSettings for a live feed
    ws_backend: str = "auto"
    ttl_ms: int = 500
    live: LiveSetup | None = None
    record: Path | None = None  # write the live feed's frames here (``--record``)
    notify: NotifySettings | None = None  # post run events to a webhook (``--notify``)


def build_source(config: DryRunConfig, options: DryRunOptions, fast_forward: int) -> TickSource:
    """The store or replay source of a replayed run, else the live stream."""
    if config.data is not None:
        from letrade_cli.trading.store_source import StoreSource

        return StoreSource(
            config.data or None,
            symbols=config.symbols,
            kind=config.data_kind,
            start_ns=config.data_from_ns,
            end_ns=config.data_to_ns,
            speed=config.speed,
            fast_forward=fast_forward,
            ttl_ms=options.ttl_ms,
        )
    if config.replay:
        from letrade_cli.trading.replay import ReplaySource

        return ReplaySource(
            config.replay,
            speed=config.speed,
            symbols=config.symbols,
            fast_forward=fast_forward,
            ttl_ms=options.ttl_ms,
        )
    from letrade_cli.connector.source import LiveSource

    record = str(options.record) if options.record is not None else None
    return LiveSource(options.stream_settings, backend=options.ws_backend, record=record)


def run_dryrun(config: DryRunConfig, options: DryRunOptions) -> int:
    """Run (or resume) a dry run until its duration, its data's end or a signal."""

    async def main(context: RunContext) -> int:
        return await _run(context, config, options)

    return run(main)


async def _run(context: RunContext, config: DryRunConfig, options: DryRunOptions) -> int:
    if options.notify is None:
        return await _run_engine(context, config, options, None)
    from letrade_cli.runtime.notify import Notifier

    notifier = Notifier(options.notify, mode="live" if options.live is not None else "paper")
    await notifier.start()
    try:
        return await _run_engine(context, config, options, notifier)
    except BaseException as exc:
        from letrade_cli.core.errors import LetradeError

        if isinstance(exc, LetradeError):
            notifier.notify("error", {"error": exc.message, "hint": exc.hint})
        elif isinstance(exc, Exception):
            notifier.notify("error", {"error": f"{type(exc).__name__}: {exc}"})
        status = "failed" if isinstance(exc, Exception) else "interrupted"
        notifier.notify("end", {"status": status})
        raise
    finally:
        await notifier.close()


async def _run_engine(
    context: RunContext, config: DryRunConfig, options: DryRunOptions, notifier: Any
) -> int:
    console = err_console()
    ledger = Ledger(options.db)
    try:
        fast_forward = 0
        if options.resume:
            fast_forward = int(ledger.state(options.resume).get("cursor", 0))
        sim, venue = await _live_venue(options)  # before the feed: it may point at the sim
        source = build_source(config, options, fast_forward)
        writer: JsonLineWriter | None = None
        if options.json_output:
            writer = JsonLineWriter(sys.stdout.buffer, context.stop)

        found: list[dict[str, Any]] = []  # reconciliation, shown as one table (no --json)

        def on_event(event: Event) -> None:
            if writer is not None:
                writer({"event": event.kind, "ts_ms": event.ts_ms, **event.data})
            elif event.kind == "reconcile":
                found.append(event.data)
            if notifier is not None:
                notifier.on_event(event.kind, event.ts_ms, event.data)

        await source.start()
        engine: DryRun | None = None
        try:
            engine = DryRun(
                ledger,
                source,
                config,
                run_id=options.resume,
                resume=options.resume is not None,
                on_event=on_event,
                venue=venue,
            )
            if notifier is not None:
                notifier.run_id = engine.run_id
                notifier.notify(
                    "start",
                    {"strategy": config.strategy, "symbols": config.symbols,
                     "venue": source.venue, "resumed": options.resume is not None},
                )  # fmt: skip
            try:
                await engine.open()
            finally:
                if found:
                    from letrade_cli.ui.dryrun import reconcile_table

                    console.print(reconcile_table(found, engine.run_id))
            if writer is not None:
                writer({"event": "start", "run_id": engine.run_id, "config": asdict(config)})
            show_live = not options.json_output and console.is_terminal
            watcher = asyncio.create_task(_watch(engine, show_live))
            try:
                # Start-up objects out of the collector's full passes; a full-speed replay
                # collects less often still.
                fast = config.speed is None and source.replay
                with settled_heap(), batch_collections() if fast else contextlib.nullcontext():
                    completed = await engine.run(context.stop)
            except LedgerWriteError as exc:
                raise LedgerWriteError(  # name the run: it is resumable from its last commit
                    exc.message,
                    hint=f"free space, then `letrade dryrun --resume {engine.run_id} "
                    f"--db {options.db}`",
                ) from None
            finally:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            view = engine.view()
            view["source"] = source.summary()
            if notifier is not None:
                notifier.notify("end", _end_message(view, completed))
                await notifier.drain()  # the summary counts the end post too
                view["notify"] = notifier.summary()
        finally:
            await source.close()
            if engine is not None and venue is not None:
                await engine.manager.close()
            elif venue is not None:
                await venue.close()
            if sim is not None:
                await sim.stop()
    finally:
        ledger.close()
    from letrade_cli.ui.dryrun import summary_lines

    if writer is not None:
        writer({"event": "summary", "completed": completed, **view})
        writer.flush()
        if isinstance(writer.error, OutputError) and engine is not None:
            raise OutputError(
                writer.error.message,
                hint=f"the run is kept: `letrade dryrun --resume {engine.run_id} --db "
                f"{options.db}` with stdout somewhere writable",
            )
        writer.raise_error()
    for line in summary_lines(view, str(options.db), completed):
        console.print(line, soft_wrap=True, highlight=False, markup=False)
    return EXIT_OK


def _end_message(view: dict[str, Any], completed: bool) -> dict[str, Any]:
    status = "completed" if completed else "interrupted"
    keys = ("equity", "pnl", "realized", "fees", "halted", "ticks")
    return {"status": status, **{k: view[k] for k in keys if k in view}}


async def _live_venue(options: DryRunOptions) -> tuple[Any, Any]:
    """``(embedded sim or None, LiveVenue or None)`` for ``options.live``."""
    setup = options.live
    if setup is None:
        return None, None
    from dataclasses import replace

    from letrade_cli.trading.live import LiveVenue

    sim = None
    rest_url = setup.rest_url
    if setup.spec.embedded and not rest_url:
        from letrade_cli.runtime.trade import EMBEDDED_NOTE, embedded_sim_config
        from letrade_cli.sim.server import SimExchange

        sim = SimExchange(embedded_sim_config(setup.keys))
        await sim.start()
        rest_url = sim.rest_url
        settings = options.stream_settings
        options.stream_settings = replace(
            settings, endpoints=replace(settings.endpoints, ws_url=sim.ws_url, rest_url=rest_url)
        )
        sys.stderr.write(EMBEDDED_NOTE.replace("this one command", "this run") + "\n")
    venue = LiveVenue(setup.spec, setup.keys, rest_url=rest_url, settings=setup.order_settings)
    return sim, venue


async def _watch(engine: DryRun, show_live: bool) -> None:
    """Redraw the live view (a terminal) or write a heartbeat line every minute."""
    from letrade_cli.ui.dryrun import Heartbeat, dryrun_view

    if not show_live:
        heartbeat = Heartbeat()
        while True:
            await asyncio.sleep(1.0)
            heartbeat.maybe(engine.view())
    from rich.live import Live

    title = f"letrade dryrun {engine.run_id}"
    with Live(
        dryrun_view(engine.view(), title),
        console=err_console(),
        refresh_per_second=REFRESH_PER_S,
        transient=False,
    ) as live:
        while True:
            await asyncio.sleep(1 / REFRESH_PER_S)
            live.update(dryrun_view(engine.view(), title))
