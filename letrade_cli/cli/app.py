"""The `letrade` entry point: registers command groups and maps errors to exit codes.

Only Typer and Rich are imported here; every command imports its heavy modules (aiohttp,
websockets, boto3, the exchange code) inside its own function, so ``letrade --help`` stays fast.
"""

from __future__ import annotations

import sys

import typer

from letrade_cli import __version__
from letrade_cli.cli import bench, profiles, serverless, sim, stream
from letrade_cli.cli import dryrun as dryrun_cli
from letrade_cli.cli import trade as trade_cli
from letrade_cli.cli.help import hide_flag_metavars
from letrade_cli.errors import LetradeError

hide_flag_metavars()

app = typer.Typer(
    name="letrade",
    help="Trade crypto with your own code: live streams, an embedded exchange, Lambda collectors.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"letrade {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Letrade: stream, simulate, benchmark and deploy crypto data collectors."""


stream.register(app)
sim.register(app)
bench.register(app)
serverless.register(app)
trade_cli.register(app)
dryrun_cli.register(app)
profiles.register(app)


def main() -> None:
    """Console-script entry: run the app, turning LetradeError into one line and an exit code."""
    from letrade_cli.runtime.process import EXIT_INTERRUPTED
    from letrade_cli.ui.console import print_error

    try:
        app(prog_name="letrade")  # the same name (and completion) under python -m
    except LetradeError as exc:
        print_error(exc.message, exc.hint)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print_error("interrupted")
        sys.exit(EXIT_INTERRUPTED)
