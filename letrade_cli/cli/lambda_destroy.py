"""`letrade lambda-destroy`: remove a function and what letrade created around it."""

from __future__ import annotations

import json
from typing import Annotated, Any

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
    progress,
)


def lambda_destroy(
    function: Annotated[
        str | None,
        typer.Argument(help="Function name in the profile.", autocompletion=complete_functions),
    ] = None,
    all_functions: Annotated[
        bool, typer.Option("--all", help="Every function in the profile.")
    ] = False,
    layers: Annotated[
        bool, typer.Option("--layers", help="Also delete the layer versions letrade published.")
    ] = False,
    keep_logs: Annotated[
        bool, typer.Option("--keep-logs", help="Keep the functions' log groups.")
    ] = False,
    plan: PlanOpt = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    profile: ProfileOpt = "lambda",
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    aws_profile: AwsProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete what letrade made: function, aliases, schedule, role, log group (and --layers)."""
    with lambda_errors():
        import sys

        from letrade_cli.core.errors import UsageError
        from letrade_cli.serverless.deploy.destroy import plan_destroy
        from letrade_cli.serverless.profile import load_lambda_profile
        from letrade_cli.serverless.steps import StepRunner

        if (function is None) == (not all_functions):
            raise UsageError("name one FUNCTION or pass --all")
        prof = load_lambda_profile(profile)
        names = list(prof.functions) if all_functions else [function or ""]
        for name in names:
            prof.function(name)
        clients = aws_clients(prof, region, endpoint_url, aws_profile)
        planned = []
        for name in reversed(names) if all_functions else names:
            layer_names = (
                [prof.aws_name(r) for r in prof.functions[name].layers if not r.startswith("arn:")]
                if layers
                else []
            )
            planned += plan_destroy(clients, prof.aws_name(name), layer_names, keep_logs=keep_logs)
        planned = _unique(planned)
        changes = [p for p in planned if p.action.change != "skip"]
        if changes and not plan and not yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    f"lambda-destroy would delete {len(changes)} resource(s)",
                    hint="pass --yes to confirm, or --plan to list them",
                )
            for p in changes:
                typer.echo(f"  {p.action.step}: {p.action.detail}", err=True)
            typer.confirm(f"delete these {len(changes)} resource(s)?", abort=True, err=True)
        runner = StepRunner(on_event=progress())
        actions: list[dict[str, Any]] = []
        for p in planned:
            with runner.step(p.action.step) as s:
                if plan or p.apply is None:
                    s.skip(p.action.detail) if p.action.change == "skip" else None
                    s.detail = ("would " if plan and p.action.change != "skip" else "") + (
                        p.action.detail
                    )
                else:
                    p.apply()
                    s.detail = p.action.detail
            actions.append(p.action.to_dict())
        data = {"plan": plan, "actions": actions, "aws_writes": clients.writes()}
        if as_json:
            typer.echo(json.dumps(data, indent=2))
        else:
            verb = "would delete" if plan else "deleted"
            typer.echo(f"{verb} {len(changes)} resource(s)")


def _unique(planned: list[Any]) -> list[Any]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in planned:
        key = (p.action.step, p.action.detail)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
