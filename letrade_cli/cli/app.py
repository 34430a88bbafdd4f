"""The `letrade` entry point: registers command groups and maps errors to exit codes.

Only Typer is imported here; every command imports its heavy modules (aiohttp, websockets,
boto3, the exchange code) inside its own function, so ``letrade --help`` stays fast. The
commands in ``lazy.LAZY_COMMANDS`` are built only when run (``LazyGroup``); help is plain Click
formatting (``HELP_MARKUP``): Typer's Rich help costs ~100 ms of imports per ``--help``.
"""

from __future__ import annotations

import contextlib
import sys

import typer

from letrade_cli import __version__
from letrade_cli.cli.help import hide_flag_metavars, plain_metavars
from letrade_cli.cli.lazy import LazyGroup
from letrade_cli.cli.usage import finite_floats, one_line_usage_errors
from letrade_cli.core.errors import EXIT_INTERRUPTED, LetradeError
from letrade_cli.core.stdio import flush_stdout

hide_flag_metavars()
plain_metavars()
one_line_usage_errors()
finite_floats()

# The root's own help is Click's plain text (Rich's panels would cost ~100 ms on every
# `letrade --help`); each command, built lazily, renders its help with Rich (cli.lazy).
HELP_MARKUP = None

app = typer.Typer(
    name="letrade",
    help="Trade crypto with your own code: live streams, an embedded exchange, Lambda collectors.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish
    pretty_exceptions_enable=False,
    # Click wraps help at 80 columns and cuts command summaries there; up to 120 on a wide
    # terminal (every command inherits it).
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
    cls=LazyGroup,
    rich_markup_mode=HELP_MARKUP,
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


# Every command is registered lazily (lazy.LAZY_COMMANDS); `module.register(app)` here would
# still work (built eagerly).


def main() -> None:
    """Console-script entry: run the app, turning LetradeError into one line and an exit code."""
    # ui.console (Rich) is imported only on an error: ``letrade --help`` does not pay for it.
    from letrade_cli.core import interrupts

    try:
        try:
            app(prog_name="letrade")  # the same name (and completion) under python -m
        except SystemExit:
            # Inside: output that cannot be written is an error like any other, also one a
            # library swallowed. An error already on its way (LetradeError) is the one told.
            flush_stdout()
            raise
        flush_stdout()
    except LetradeError as exc:
        if exc.message:  # a reader that went away (exit 141) is told nothing
            from letrade_cli.ui.console import print_error

            with contextlib.suppress(OSError, ValueError):
                print_error(exc.message, exc.hint)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        # Plain text and no import: a second Ctrl-C must not land inside a slow import here.
        sys.stderr.write("error: interrupted\n")
        sys.stderr.flush()
        sys.exit(EXIT_INTERRUPTED)
    except Exception:
        if not interrupts.signalled():
            raise
        sys.stderr.write("error: interrupted\n")  # a Ctrl-C that came out as another error
        sys.stderr.flush()
        sys.exit(EXIT_INTERRUPTED)
    finally:
        if interrupts.take():  # a Ctrl-C swallowed by a callback while the command ran
            sys.stderr.write("error: interrupted\n")
            sys.stderr.flush()
            sys.exit(EXIT_INTERRUPTED)
