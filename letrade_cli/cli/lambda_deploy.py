"""`letrade lambda-deploy`: create/update functions, publish, alias, schedule; `--plan`, `--all`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from letrade_cli.cli.help import complete_functions
from letrade_cli.cli.lambda_common import (
    ROLE_ENV,
    AwsProfileOpt,
    EndpointOpt,
    JsonOpt,
    PlanOpt,
    ProfileOpt,
    RegionOpt,
    aws_clients,
    lambda_errors,
    progress,
    warn,
)

if TYPE_CHECKING:
    from letrade_cli.serverless.deploy.all import DeployAllResult


def lambda_deploy(
    function: Annotated[
        str | None,
        typer.Argument(
            help="Function name (a key under `functions:`).", autocompletion=complete_functions
        ),
    ] = None,
    all_functions: Annotated[
        bool, typer.Option("--all", help="Every function in the profile, layers first.")
    ] = False,
    profile: ProfileOpt = "lambda",
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    aws_profile: AwsProfileOpt = None,
    plan: PlanOpt = False,
    publish: Annotated[
        bool, typer.Option("--publish", help="Publish a version after deploying.")
    ] = False,
    alias: Annotated[
        str | None, typer.Option(help="Create or move this alias to the version (needs --publish).")
    ] = None,
    role_arn: Annotated[
        str | None,
        typer.Option("--role-arn", envvar=ROLE_ENV, help="Execution role (overrides the profile)."),
    ] = None,
    create_role: Annotated[
        bool, typer.Option("--create-role", help="Create/keep a least-privilege role per function.")
    ] = False,
    invoke: Annotated[bool, typer.Option("--invoke", help="Invoke once after deploying.")] = False,
    warm: Annotated[int, typer.Option(min=0, help="Extra (warm) invokes after the first.")] = 0,
    zip_path: Annotated[
        Path | None, typer.Option("--zip", help="Deploy this zip instead of packaging.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create or update a function, publish, alias and schedule it; each step idempotent."""
    from letrade_cli.serverless.environment import Redactor

    redactors: list[Redactor] = []

    def redact(text: str) -> str:
        for r in redactors:
            text = r(text)
        return text

    with lambda_errors(redact):
        from letrade_cli.core.errors import UsageError
        from letrade_cli.serverless.deploy.all import (
            DeployHooks,
            DeployOptions,
            deploy_all,
            deploy_one,
        )
        from letrade_cli.serverless.profile import load_lambda_profile

        if (function is None) == (not all_functions):
            raise UsageError("name one FUNCTION or pass --all", hint="e.g. lambda-deploy scanner")
        if all_functions and (zip_path is not None or invoke or warm):
            raise UsageError("--zip, --invoke and --warm work on one function, not with --all")
        prof = load_lambda_profile(profile)
        if role_arn is not None and not role_arn.startswith("arn:"):
            raise UsageError(f"--role-arn {role_arn!r} is not an ARN", hint="arn:aws:iam::...")
        clients = aws_clients(prof, region, endpoint_url, aws_profile)
        options = DeployOptions(plan, publish, alias, role_arn, create_role)
        hooks = DeployHooks(
            on_event=progress(redact),
            on_warning=warn,
            on_environment=lambda env: redactors.append(env.redactor()),
        )
        if all_functions:
            outcome = deploy_all(prof, clients, options, hooks, on_summary=_summary_table)
            if as_json:
                typer.echo(redact(json.dumps(outcome.to_dict(clients.writes()), indent=2)))
            else:
                done = "planned" if plan else "deployed"
                typer.echo(f"{len(outcome.functions)} function(s) {done}")
            return
        assert function is not None
        deployed = deploy_one(
            prof, function, clients, options, hooks, zip_path=zip_path, invoke=invoke, warm=warm
        )
        data = deployed.result.to_dict()
        if deployed.invoke is not None:
            data["invoke"] = deployed.invoke.to_dict()
            _invoke_lines(data["invoke"])
        data["aws_calls"] = clients.calls
        data["aws_writes"] = clients.writes()
        _emit_deploy(data, as_json, redact)
        samples = deployed.invoke.samples if deployed.invoke else []
        failed = [sample for sample in samples if sample.error_text]
        if failed:
            from letrade_cli.core.errors import LetradeError

            raise LetradeError(
                f"{deployed.result.function_name} is deployed, but {len(failed)} of "
                f"{len(samples)} invoke(s) failed: {failed[0].error_text}",
                hint=f"letrade lambda-logs {function} for its logs",
            )


def _summary_table(outcome: DeployAllResult) -> None:
    from rich.table import Table

    from letrade_cli.ui.console import err_console

    table = Table(title="lambda-deploy --all")
    for column in ("kind", "name", "change(s)", "version"):
        table.add_column(column)
    for layer in outcome.layers:
        table.add_row(
            "layer", f"{layer['layer']} ({layer['runtime']} {layer['arch']})", layer["change"], ""
        )
    for row in outcome.functions:
        table.add_row("function", row["function"], row["steps"], row["version"])
    err_console().print(table)


def _emit_deploy(data: dict[str, Any], as_json: bool, redact: Callable[[str], str]) -> None:
    if as_json:
        typer.echo(redact(json.dumps(data, indent=2)))
        return
    head = "plan for" if data["plan"] else "deployed"
    lines = [f"{head} {data['function_name']} (CodeSha256 {data['code_sha256']})"]
    for action in data["actions"]:
        lines.append(f"  {action['step']}: {action['change']}  {action['detail']}")
    for key in ("function_arn", "version", "alias_arn", "rule_arn", "role_arn"):
        if data.get(key):
            lines.append(f"  {key}: {data[key]}")
    if data["plan"]:
        writes = sum(1 for a in data["actions"] if a["change"] != "skip")
        lines.append(f"  {writes} change(s); nothing was written")
    typer.echo(redact("\n".join(lines)))


def _invoke_lines(summary: dict[str, Any]) -> None:
    from letrade_cli.ui.console import err_console

    console = err_console()
    rtt = summary["round_trip_ms"]
    console.print(
        f"invokes {summary['invokes']}, errors {summary['errors']}; client round trip "
        f"p50 {rtt['p50']} ms, p90 {rtt['p90']} ms, max {rtt['max']} ms",
        markup=False,
    )
    if summary["note"]:
        console.print(f"note: {summary['note']}", markup=False)
        return
    if summary["cold"]:
        cold = summary["cold"]
        console.print(
            f"cold: init {cold['init_duration_ms']} ms + duration {cold['duration_ms']} ms, "
            f"billed {cold['billed_ms']} ms, memory {cold['max_memory_used_mb']} MB",
            markup=False,
        )
    if summary["warm_duration_ms"]:
        warm = summary["warm_duration_ms"]
        console.print(
            f"warm duration (n={warm['n']}): p50 {warm['p50']} ms, p90 {warm['p90']} ms, "
            f"p99 {warm['p99']} ms",
            markup=False,
        )
