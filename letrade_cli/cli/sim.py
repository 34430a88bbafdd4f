"""`letrade sim`: run the embedded exchange on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer

from letrade_cli.cli.help import examples

EXAMPLES = examples(
    ("letrade sim --port 8765", "serve on ws://127.0.0.1:8765 until Ctrl-C"),
    ("letrade sim --rate 5000 --seed 42", "a busier market, another random walk"),
    ("letrade sim --ed25519-key MYKEY=ed25519-pub.pem", "also accept an Ed25519 API key"),
)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.command("sim", epilog=EXAMPLES)(sim)


def sim(
    port: Annotated[
        int,
        typer.Option(
            help="TCP port; 0 picks a free one.", envvar="LETRADE_SIM_PORT", min=0, max=65535
        ),
    ] = 0,
    rate: Annotated[
        float, typer.Option(help="Aggregate market messages per second (1 to 100000+).", min=1.0)
    ] = 200.0,
    seed: Annotated[int, typer.Option(help="Seed of the random walks and candle history.")] = 7,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    weight_limit: Annotated[
        int,
        typer.Option(help="REST request weight per minute (dialects that weigh requests).", min=1),
    ] = 6000,
    order_limit: Annotated[
        int,
        typer.Option(help="New orders per 10 s per account (dialects that count orders).", min=1),
    ] = 50,
    api_key: Annotated[
        str | None,
        typer.Option(help="Key that opens the sim's accounts (default letrade-sim-key)."),
    ] = None,
    api_secret: Annotated[
        str | None,
        typer.Option(help="Its secret (default letrade-sim-secret; not a real secret)."),
    ] = None,
    ed25519_key: Annotated[
        list[str] | None,
        typer.Option(
            "--ed25519-key",
            help="Ed25519 API key APIKEY=PUBLIC.pem, repeatable: it opens the accounts too "
            "(signed REST and WebSocket API requests, session.logon).",
        ),
    ] = None,
    balance: Annotated[
        list[str] | None,
        typer.Option(
            help="Starting balance AMOUNTASSET, repeatable (10000USDT, 1BTC); prefix VENUE: "
            "for one venue's account, else every account gets it. Default: each dialect's own.",
        ),
    ] = None,
) -> None:
    """Serve every registered venue's dialect: market data and orders (WebSocket + REST), one port.

    One account per venue (orders, balances, user streams), opened by --api-key/--api-secret.

    Prints one JSON line ({"ws_url", "rest_url", "port"}) to stdout, logs to stderr.
    """
    import logging
    import sys

    import orjson

    from letrade_cli.core.errors import NetworkUnavailableError, UsageError
    from letrade_cli.core.heap import settle_heap
    from letrade_cli.runtime import RunContext, run
    from letrade_cli.sim.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET, parse_balances
    from letrade_cli.sim.keys import parse_ed25519_keys
    from letrade_cli.sim.server import SimConfig, SimExchange

    try:
        balances = parse_balances(balance or [])
    except ValueError as exc:
        raise UsageError(f"--balance: {exc}", hint="for example --balance 10000USDT") from None
    try:
        ed25519_keys = parse_ed25519_keys(ed25519_key or [])
    except ValueError as exc:
        raise UsageError(
            f"--ed25519-key: {exc}", hint="for example --ed25519-key MYKEY=ed25519-pub.pem"
        ) from None

    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    config = SimConfig(
        rate=rate,
        seed=seed,
        host=host,
        port=port,
        weight_limit_per_min=weight_limit,
        order_limit=order_limit,
        api_key=api_key or DEFAULT_API_KEY,
        api_secret=api_secret or DEFAULT_API_SECRET,
        balances=balances,
        ed25519_keys=ed25519_keys,
    )

    async def serve(context: RunContext) -> int:
        exchange = SimExchange(config)
        try:
            await exchange.start()
        except OSError as exc:
            raise NetworkUnavailableError(
                f"cannot listen on {host}:{port}: {exc.strerror}", hint="try --port 0"
            ) from exc
        settle_heap()  # start-up objects out of the collector's full passes (core/heap.py)
        try:
            line = {"ws_url": exchange.ws_url, "rest_url": exchange.rest_url, "port": exchange.port}
            sys.stdout.write(orjson.dumps(line).decode() + "\n")
            sys.stdout.flush()
            await context.stop.wait()
        finally:
            await exchange.stop()
        logging.getLogger("letrade.sim").info("sim stopped")
        return 0  # a signal ended it: run() answers 130 (SIGINT) or 143 (SIGTERM), as for
        # every command, so a script can tell "stopped" from "finished"

    code = run(serve)
    if code:
        raise typer.Exit(code)
