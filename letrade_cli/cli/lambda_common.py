"""What every Lambda command shares: options, progress lines, and the one error-to-exit mapping.

Every Lambda command body runs inside ``lambda_errors()``: a ``LetradeError`` becomes one red
line (secrets redacted) and the exit code its class declares in ``core.errors`` (2 usage/
config, 3 AWS said no, 4 network, 1 otherwise). No command maps exit codes itself. Only Typer is
imported at module level, so ``letrade --help`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from letrade_cli.cli.help import complete_profile, env_note

if TYPE_CHECKING:
    from letrade_cli.serverless.aws import AwsClients
    from letrade_cli.serverless.profile import LambdaProfile
    from letrade_cli.serverless.steps import StepEvent

PROFILE_ENV = "LETRADE_LAMBDA_PROFILE"
ROLE_ENV = "LETRADE_LAMBDA_ROLE_ARN"

ProfileOpt = Annotated[
    str,
    typer.Option(
        "--profile",
        help="Lambda profile name (letrade profiles list) or path.",
        envvar=PROFILE_ENV,
        autocompletion=complete_profile,
    ),
]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="AWS region (default: AWS chain, then profile)." + env_note("AWS_DEFAULT_REGION"),
    ),
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        help="AWS endpoint (e.g. a local moto server)." + env_note("AWS_ENDPOINT_URL"),
    ),
]
AwsProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--aws-profile", help="Named profile from ~/.aws (boto3 chain)." + env_note("AWS_PROFILE")
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
PlanOpt = Annotated[bool, typer.Option("--plan", help="Show what would change; write nothing.")]
OutOpt = Annotated[Path, typer.Option("--out", help="Directory for the zip.")]
LayerDirOpt = Annotated[
    list[Path] | None,
    typer.Option("--layer-dir", help="Extra layer (dir or zip with python/); repeatable."),
]
SYMBOLS = {"done": "[green]✓[/]", "skip": "[dim]=[/]", "fail": "[red]✗[/]"}


@contextmanager
def lambda_errors(redact: Callable[[str], str] | None = None) -> Iterator[None]:
    """Turn a LetradeError into one red line and its class's exit code (also under CliRunner).

    A botocore error that escaped a command's own handling (a read in logs, rollback, destroy)
    is translated by the same rule as deploy's steps (``serverless.aws.translate_aws_error``).
    """
    from letrade_cli.core.errors import LetradeError

    try:
        try:
            yield
        except Exception as exc:
            from letrade_cli.serverless.aws import is_aws_error, translate_aws_error

            if is_aws_error(exc):
                raise translate_aws_error(exc) from exc
            raise
    except LetradeError as exc:
        from letrade_cli.ui.console import print_error

        message, hint = exc.message, exc.hint
        if redact is not None:
            message, hint = redact(message), redact(hint) if hint else hint
        print_error(message, hint)
        raise typer.Exit(exc.exit_code) from None


def aws_clients(
    prof: LambdaProfile | None, region: str | None, endpoint_url: str | None, aws: str | None
) -> AwsClients:
    """boto3 clients for the command's target; the profile's region is the last fallback."""
    from letrade_cli.config.stream import check_url
    from letrade_cli.serverless.aws import AwsClients, AwsTarget

    if endpoint_url is not None:
        check_url(endpoint_url, ("http", "https"), "--endpoint-url")  # botocore: a ValueError
    fallback = prof.defaults.region if prof else "us-east-1"
    return AwsClients(AwsTarget(region, endpoint_url, aws), fallback)


def progress(redact: Callable[[str], str] | None = None) -> Callable[[StepEvent], None]:
    """A step callback printing ``✓ step  12.3 ms  detail`` lines on stderr."""
    from letrade_cli.ui.console import err_console

    console = err_console()

    def show(event: StepEvent) -> None:
        if event.status == "start":
            return
        from rich.markup import escape

        detail = redact(event.detail) if redact else event.detail
        console.print(
            f"{SYMBOLS[event.status]} {event.name:<22} {event.elapsed_ms:>9.1f} ms  "
            f"{escape(detail)}",
            soft_wrap=True,
        )

    return show


def warn(text: str) -> None:
    """One ``warning:`` line on stderr."""
    from letrade_cli.ui.console import err_console

    err_console().print(f"warning: {text}", markup=False, highlight=False, soft_wrap=True)
