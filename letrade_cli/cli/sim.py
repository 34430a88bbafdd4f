"""`letrade sim`: run the embedded exchange on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer

EXIT_INTERRUPTED = 130


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.command("sim")(sim)


def sim(
    port: Annotated[
        int, typer.Option(help="TCP port; 0 picks a free one.", envvar="LETRADE_SIM_PORT")
    ] = 0,
    rate: Annotated[
        float, typer.Option(help="Aggregate market messages per second (1 to 100000+).", min=1.0)
    ] = 200.0,
    seed: Annotated[int, typer.Option(help="Seed of the random walks and candle history.")] = 7,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    weight_limit: Annotated[
        int, typer.Option(help="Binance REST request weight per minute.", min=1)
    ] = 6000,
) -> None:
    """Serve Binance- and Upbit-dialect market data (WebSocket + REST) on one local port.

    Prints one JSON line ({"ws_url", "rest_url", "port"}) to stdout, logs to stderr.
    """
    import asyncio
    import logging
    import signal
    import sys

    import orjson

    from letrade_cli.errors import NetworkUnavailableError
    from letrade_cli.sim.server import SimConfig, SimExchange

    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    config = SimConfig(
        rate=rate, seed=seed, host=host, port=port, weight_limit_per_min=weight_limit
    )

    async def serve() -> int:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        got: list[int] = []

        def on_signal(sig: int) -> None:
            got.append(sig)
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal, sig)
        exchange = SimExchange(config)
        try:
            await exchange.start()
        except OSError as exc:
            raise NetworkUnavailableError(
                f"cannot listen on {host}:{port}: {exc.strerror}", hint="try --port 0"
            ) from exc
        try:
            line = {"ws_url": exchange.ws_url, "rest_url": exchange.rest_url, "port": exchange.port}
            sys.stdout.write(orjson.dumps(line).decode() + "\n")
            sys.stdout.flush()
            await stop.wait()
        finally:
            await exchange.stop()
        logging.getLogger("letrade.sim").info("sim stopped")
        return EXIT_INTERRUPTED if got and got[0] == signal.SIGINT else 0

    code = asyncio.run(serve())
    if code:
        raise typer.Exit(code)
