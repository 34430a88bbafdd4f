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
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
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
    order_transport: str | None = None  # auto | ws | rest (None: the profile's)


ORDER_TRANSPORTS = ("auto", "ws", "rest")


def check_order_transport(value: str | None) -> str | None:
    """``--order-transport`` as given (lower case), or ``UsageError`` for an unknown one."""
    if value is None:
        return None
    if value.lower() not in ORDER_TRANSPORTS:
        raise UsageError(
            f"unknown --order-transport '{value}'",
            hint="use auto (the WebSocket session when up, else REST), ws or rest",
        )
    return value.lower()


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
    where = "--rest-url" if rest_url else "LETRADE_REST_URL"
    if not rest_url and not env.get("LETRADE_REST_URL"):
        where = f"profile {target.profile}: endpoints.rest_url"
    rest_url = rest_url or env.get("LETRADE_REST_URL") or profile_url
    if rest_url:
        from letrade_cli.config.stream import check_url

        check_url(rest_url, ("http", "https"), where)  # before any request: one line, exit 2
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


def trade_settings(target: TradeTarget, spec: VenueSpec) -> tuple[Any, Any]:
    """The profile's trading settings (``--order-transport`` applied) and the venue's keys."""
    from letrade_cli.config.trading import load_trading_settings
    from letrade_cli.trading.keys import load_keys

    settings = load_trading_settings(target.profile)
    transport = check_order_transport(target.order_transport)
    if transport is not None:
        settings.orders.order_transport = transport  # type: ignore[assignment]
    return settings, load_keys(spec, settings.keys)


@asynccontextmanager
async def order_session(
    spec: VenueSpec, rest_url: str | None, settings: Any, keys: Any
) -> AsyncIterator[Any]:
    """A started ``OrderManager`` on the venue (an embedded sim for ``sim`` without a URL)."""
    from letrade_cli.trading.live import LiveVenue
    from letrade_cli.trading.order_manager import OrderManager

    sim = None
    url = rest_url
    if spec.embedded and not url:
        from letrade_cli.sim.server import SimExchange

        # The embedded sim opens its account with whatever keys this command uses.
        sim = SimExchange(embedded_sim_config(keys))
        await sim.start()
        url = sim.rest_url
        sys.stderr.write(EMBEDDED_NOTE + "\n")
    try:
        venue = LiveVenue(spec, keys, rest_url=url, settings=settings.orders)
        async with OrderManager(venue, settings=settings.orders) as manager:
            yield manager
    finally:
        if sim is not None:
            await sim.stop()


def run_trade(
    target: TradeTarget,
    action: Action,
    render: Callable[[Any], int | None],
    *,
    spec: VenueSpec,
    rest_url: str | None,
    on_interrupt: Callable[[], str | None] | None = None,
) -> int:
    """Run ``action(manager)`` on the venue and ``render`` its result; return the exit code.

    ``render`` may return an exit code of its own (``--wait-fill``: 5 when not filled).
    ``on_interrupt`` words the line printed when a signal stops the action (None: the default
    "an order being sent may still have been placed").
    """
    from letrade_cli.runtime.process import EXIT_OK, RunContext, run

    settings, keys = trade_settings(target, spec)

    async def main(context: RunContext) -> int:
        import asyncio

        async with order_session(spec, rest_url, settings, keys) as manager:
            work = asyncio.ensure_future(action(manager))
            stopper = asyncio.ensure_future(context.stop.wait())
            done, _ = await asyncio.wait({work, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if work not in done:
                work.cancel()
                line = on_interrupt() if on_interrupt is not None else None
                sys.stderr.write(
                    (
                        line
                        or "interrupted before the venue answered: an order being sent may "
                        "still have been placed (check `letrade trade open`)"
                    )
                    + "\n"
                )
                return EXIT_OK  # a signal: run() turns it into 130/143
            result = work.result()
        code = render(result)
        return EXIT_OK if code is None else code

    return run(main)


def embedded_sim_config(keys: Any, rate: float = 50.0) -> Any:
    """An embedded sim's config whose account is the one these keys open."""
    from letrade_cli.sim.server import SimConfig

    return SimConfig(
        rate=rate, api_key=keys.api_key, api_secret=keys.secret, ed25519_keys=_public_keys(keys)
    )


def _public_keys(keys: Any) -> dict[str, bytes]:
    """An Ed25519 key's public half, for the embedded sim to check its signatures with."""
    if keys.ed25519_pem is None:
        return {}
    from letrade_cli.core.ed25519 import load_ed25519_key
    from letrade_cli.core.errors import ConfigError

    try:
        return {keys.api_key: load_ed25519_key(keys.ed25519_pem).public_pem()}
    except ValueError as exc:
        raise ConfigError(
            f"{keys.ed25519_variable} does not hold a usable Ed25519 private key: {exc}",
            hint=f"set {keys.ed25519_variable} to the key's PEM text, its PEM file's path, "
            "or base64 of it",
        ) from None
