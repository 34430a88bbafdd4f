"""The trade command's run: pick the venue, gate real money, run one action on the OrderManager.

``letrade trade`` runs every subcommand as ``run_trade(target, action)``: resolve the venue and its
URL (flag > ``LETRADE_VENUE``/``LETRADE_REST_URL`` > profile > ``sim``), refuse a real-money venue
without ``--live`` and a confirmation, read the keys from the environment, start the embedded sim
when ``--venue sim`` has no URL, then run the action on an ``OrderManager`` inside
:func:`letrade_cli.runtime.run` (SIGINT 130, SIGTERM 143) and render the result.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TextIO

from letrade_cli.core.errors import UsageError
from letrade_cli.venues.base import VenueSpec

EMBEDDED_NOTE = (
    "note: no LETRADE_REST_URL: using an embedded sim for this one command; its orders and "
    "balances vanish when it exits (run `letrade sim` and set LETRADE_REST_URL to keep them)"
)


@dataclass(slots=True)
class TradeTarget:
    """Where and how a trade subcommand runs (from its common options)."""

    venue: str | None = None
    rest_url: str | None = None
    profile: str | None = None
    live: bool = False
    yes: bool = False
    json_output: bool = False


def resolve_venue(
    target: TradeTarget, env: dict[str, str] | None = None
) -> tuple[VenueSpec, str | None]:
    """The venue spec and REST URL override: flag > environment > profile > ``sim``."""
    from letrade_cli.venues.registry import venue_spec

    env = dict(os.environ) if env is None else env
    venue, rest_url = target.venue, target.rest_url
    profile_venue = profile_url = None
    if target.profile is not None:
        from letrade_cli.config.stream import load_stream_settings

        settings = load_stream_settings(target.profile)
        profile_venue, profile_url = settings.venue, settings.endpoints.rest_url
    venue = venue or env.get("LETRADE_VENUE") or profile_venue or "sim"
    rest_url = rest_url or env.get("LETRADE_REST_URL") or profile_url
    return venue_spec(venue), rest_url


def confirm_live(
    spec: VenueSpec,
    target: TradeTarget,
    what: str,
    *,
    stdin: TextIO | None = None,
    prompt_to: TextIO | None = None,
) -> None:
    """Refuse to touch real money unless ``--live`` and a typed confirmation (or ``--yes``).

    Raises:
        UsageError: no ``--live``; or no TTY to confirm on and no ``--yes``; or a wrong answer.
    """
    if not spec.live_money:
        return
    if not target.live:
        raise UsageError(
            f"{spec.name} trades real money: {what} needs --live",
            hint="add --live (and confirm), or try --venue sim or a test network first",
        )
    if target.yes:
        return
    stdin = stdin or sys.stdin
    prompt_to = prompt_to or sys.stderr
    if not stdin.isatty():
        raise UsageError(
            f"{what} on {spec.name} with real money needs a typed confirmation on a terminal",
            hint="run it on a terminal, or add --yes in a script",
        )
    prompt_to.write(f"About to {what} on {spec.name} with REAL money. Type '{spec.name}' to go: ")
    prompt_to.flush()
    answer = stdin.readline().strip()
    if answer != spec.name:
        raise UsageError("not confirmed: nothing was sent", hint=f"type {spec.name} exactly")


Action = Callable[[Any], Awaitable[Any]]


def run_trade(
    target: TradeTarget,
    action: Action,
    render: Callable[[Any], None],
    *,
    spec: VenueSpec,
    rest_url: str | None,
) -> int:
    """Run ``action(manager)`` on the venue and ``render`` its result; return the exit code."""
    from letrade_cli.config.trading import load_trading_settings
    from letrade_cli.runtime.process import EXIT_OK, RunContext, run
    from letrade_cli.trading.keys import load_keys

    settings = load_trading_settings(target.profile)
    keys = load_keys(spec, settings.keys)

    async def main(context: RunContext) -> int:
        import asyncio

        from letrade_cli.trading.live import LiveVenue
        from letrade_cli.trading.order_manager import OrderManager

        sim = None
        url = rest_url
        if spec.embedded and not url:
            from letrade_cli.sim.server import SimConfig, SimExchange

            # The embedded sim opens its account with whatever keys this command uses.
            sim = SimExchange(SimConfig(rate=50.0, api_key=keys.api_key, api_secret=keys.secret))
            await sim.start()
            url = sim.rest_url
            sys.stderr.write(EMBEDDED_NOTE + "\n")
        try:
            venue = LiveVenue(spec, keys, rest_url=url, settings=settings.orders)
            async with OrderManager(venue, settings=settings.orders) as manager:
                work = asyncio.ensure_future(action(manager))
                stopper = asyncio.ensure_future(context.stop.wait())
                done, _ = await asyncio.wait({work, stopper}, return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if work not in done:
                    work.cancel()
                    sys.stderr.write(
                        "interrupted before the venue answered: an order being sent may still "
                        "have been placed (check `letrade trade open`)\n"
                    )
                    return EXIT_OK  # a signal: run() turns it into 130/143
                result = work.result()
        finally:
            if sim is not None:
                await sim.stop()
        render(result)
        return EXIT_OK

    return run(main)
