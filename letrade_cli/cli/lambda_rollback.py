"""`letrade lambda-rollback`: move an alias back to the previous (or a given) version."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from letrade_cli.cli.help import complete_functions
from letrade_cli.cli.lambda_common import (
    AwsProfileOpt,
    EndpointOpt,
    JsonOpt,
    PlanOpt,
    ProfileOpt,
    RegionOpt,
    aws_clients,
    lambda_errors,
)


def lambda_rollback(
    function: Annotated[
        str, typer.Argument(help="Function name in the profile.", autocompletion=complete_functions)
    ],
    alias: Annotated[str, typer.Option("--alias", help="The alias to move (e.g. live).")],
    to: Annotated[
        str | None, typer.Option("--to", help="Version to point at (default: the previous).")
    ] = None,
    plan: PlanOpt = False,
    profile: ProfileOpt = "lambda",
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    aws_profile: AwsProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Point ALIAS at the version before its current one, or at --to VERSION."""
    with lambda_errors():
        from letrade_cli.serverless.deploy.rollback import plan_rollback
        from letrade_cli.serverless.profile import load_lambda_profile

        prof = load_lambda_profile(profile)
        prof.function(function)
        name = prof.aws_name(function)
        clients = aws_clients(prof, region, endpoint_url, aws_profile)
        step = plan_rollback(clients.client("lambda"), name, alias, to)
        if not plan and step.apply is not None:
            step.apply()
        action = step.action
        data = {
            "function_name": name,
            "plan": plan,
            "actions": [action.to_dict()],
            "aws_writes": clients.writes(),
        }
        if as_json:
            typer.echo(json.dumps(data, indent=2))
        else:
            verb = "would " if plan and action.change != "skip" else ""
            typer.echo(f"{name}: {action.step}: {action.change}  {verb}{action.detail}")
