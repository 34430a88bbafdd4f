"""`letrade stream`: live prices with honest latency and cache figures."""

from __future__ import annotations

from typing import Annotated

import typer

from letrade_cli.cli.help import (
    complete_channels,
    complete_choices,
    complete_profile,
    complete_venues,
    env_note,
    examples,
)

EXAMPLES = examples(
    (
        "letrade stream BTCUSDT ETHUSDT --venue sim --duration 10",
        "the embedded exchange, no network",
    ),
    ("letrade stream --profile NAME --json | jq .", "a profile's venue, one JSON line per tick"),
    (
        "letrade stream BTCUSDT --venue sim --record ~/ticks/",
        "record quotes, trades and closed candles into a Parquet store (letrade data ls)",
    ),
)


def register(app: typer.Typer) -> None:
    """Add ``stream`` to the root app."""
    app.command("stream", epilog=EXAMPLES)(stream)


def stream(
    symbols: Annotated[
        list[str] | None,
        typer.Argument(help="Symbols: BTCUSDT, btcusdt, BTC/USDT, in any venue's spelling."),
    ] = None,
    venue: Annotated[
        str | None,
        typer.Option(
            help="Venue (`letrade venues` lists them). [default: the first one listed]"
            + env_note("LETRADE_VENUE"),
            autocompletion=complete_venues,
        ),
    ] = None,
    channel: Annotated[
        list[str] | None,
        typer.Option(
            "--channel",
            "-c",
            help="Channel(s), repeatable, as the venue's dialect names them (bookTicker, trade, "
            "...; an unknown name lists them). [default: bookTicker + trade]",
            autocompletion=complete_channels,
        ),
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: until Ctrl-C).")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="One JSON object per tick on stdout; summary on stderr.")
    ] = False,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-p",
            help="Profile name (letrade profiles list) or path to a .yaml file.",
            envvar="LETRADE_PROFILE",
            autocompletion=complete_profile,
        ),
    ] = None,
    ws_backend: Annotated[
        str,
        typer.Option(
            help="WebSocket library: auto, picows or websockets.",
            autocompletion=complete_choices(("auto", "picows", "websockets")),
        ),
    ] = "auto",
    sim_rate: Annotated[
        float | None,
        typer.Option(help="Messages per second from the embedded exchange (--venue sim)."),
    ] = None,
    record: Annotated[
        str | None,
        typer.Option(
            "--record",
            metavar="DIR|FILE",
            help="Record the stream. A directory (one that exists, ends with '/', or a name "
            "without a suffix) is a data store: quotes, trades and closed candles as Parquet "
            "(letrade data ls). A file name (run.frames) gets the raw frames that "
            "dryrun --replay reads.",
        ),
    ] = None,
    roll_minutes: Annotated[
        float,
        typer.Option(help="With --record DIR: start a new Parquet file every this many minutes."),
    ] = 5.0,
) -> None:
    """Stream live prices: a live table on a terminal, JSON lines with --json.

    LETRADE_WS_URL and LETRADE_REST_URL point the venue at other endpoints.
    """
    try:
        _stream(
            symbols,
            venue,
            channel,
            duration,
            json_output,
            profile,
            ws_backend,
            sim_rate,
            record,
            roll_minutes,
        )
    except KeyboardInterrupt:
        # Ctrl-C before the event loop took over the signals (while importing): exit quietly.
        raise typer.Exit(130) from None


def _stream(
    symbols: list[str] | None,
    venue: str | None,
    channel: list[str] | None,
    duration: float | None,
    json_output: bool,
    profile: str | None,
    ws_backend: str,
    sim_rate: float | None,
    record: str | None = None,
    roll_minutes: float = 5.0,
) -> None:
    import math
    from dataclasses import replace

    from letrade_cli.config.stream import (
        apply_environment,
        apply_flags,
        load_stream_settings,
    )
    from letrade_cli.core.errors import UsageError

    if duration is not None and (math.isnan(duration) or duration <= 0):
        raise UsageError(
            f"--duration must be greater than 0 seconds, got {duration:g}",
            hint="e.g. --duration 30; leave it out (or use inf) to run until Ctrl-C",
        )
    if duration is not None and math.isinf(duration):
        duration = None
    if ws_backend not in ("auto", "picows", "websockets"):
        raise UsageError(
            f"unknown --ws-backend '{ws_backend}'", hint="use auto, picows or websockets"
        )
    if not 0 < roll_minutes < math.inf:
        raise UsageError(
            f"--roll-minutes must be a finite number greater than 0, got {roll_minutes:g}"
        )
    if record is not None and not record.strip():
        raise UsageError("--record needs a directory or a file name", hint="e.g. --record ticks/")
    if sim_rate is not None and not 0 < sim_rate < math.inf:
        raise UsageError(f"--sim-rate must be a finite number greater than 0, got {sim_rate:g}")
    # Validate the profile alone first, so its errors name its file; then the overrides.
    settings = load_stream_settings(profile).validate()
    settings = apply_environment(settings)
    settings = apply_flags(settings, venue=venue, symbols=symbols, channels=channel)
    if sim_rate is not None:
        settings = replace(settings, sim=replace(settings.sim, rate=sim_rate))
    replace(settings, source="command line or LETRADE_* environment").validate()
    if not settings.symbols:
        raise UsageError("no symbols given", hint="e.g. letrade stream BTCUSDT ETHUSDT --venue sim")

    from letrade_cli.runtime.stream import run_stream

    code = run_stream(
        settings,
        duration=duration,
        json_output=json_output,
        backend=ws_backend,
        record=record,
        roll_s=roll_minutes * 60,
    )
    raise typer.Exit(code)
