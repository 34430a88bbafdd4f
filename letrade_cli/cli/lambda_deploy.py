"""`letrade lambda-deploy`: create/update functions, publish, alias, schedule; `--plan`, `--all`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from letrade_cli.cli.lambda_common import (
    ROLE_ENV,
    AwsProfileOpt,
    EndpointOpt,
    JsonOpt,
    PlanOpt,
    ProfileOpt,
    RegionOpt,
    aws_clients,
    aws_name,
    lambda_errors,
    progress,
    warn,
)

if TYPE_CHECKING:
    from letrade_cli.serverless.aws import AwsClients
    from letrade_cli.serverless.model import DeployResult
    from letrade_cli.serverless.profile import LambdaProfile
    from letrade_cli.serverless.steps import StepRunner


def lambda_deploy(
    function: Annotated[
        str | None, typer.Argument(help="Function name (a key under `functions:`).")
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
    from letrade_cli.serverless.deploy.env import Redactor

    redactors: list[Redactor] = []

    def redact(text: str) -> str:
        for r in redactors:
            text = r(text)
        return text

    with lambda_errors(redact):
        from letrade_cli.errors import UsageError
        from letrade_cli.serverless.profile import load_lambda_profile

        if (function is None) == (not all_functions):
            raise UsageError("name one FUNCTION or pass --all", hint="e.g. lambda-deploy scanner")
        if all_functions and (zip_path is not None or invoke or warm):
            raise UsageError("--zip, --invoke and --warm work on one function, not with --all")
        prof = load_lambda_profile(profile)
        if role_arn is not None and not role_arn.startswith("arn:"):
            raise UsageError(f"--role-arn {role_arn!r} is not an ARN", hint="arn:aws:iam::...")
        clients = aws_clients(prof, region, endpoint_url, aws_profile)
        options = _Options(plan, publish, alias, role_arn, create_role, redactors)
        if all_functions:
            _deploy_all(prof, clients, options, as_json, redact)
            return
        assert function is not None
        prof.function(function)
        result, data = _deploy_one(prof, function, clients, options, zip_path, redact)
        if (invoke or warm) and not plan:
            from letrade_cli.serverless.deploy.invoke import invoke_many

            summary = invoke_many(clients.client("lambda"), result.function_name, alias, warm=warm)
            data["invoke"] = summary.to_dict()
            _invoke_lines(data["invoke"])
        data["aws_calls"] = clients.calls
        data["aws_writes"] = clients.writes()
        _emit_deploy(data, as_json, redact)


class _Options:
    def __init__(
        self,
        plan: bool,
        publish: bool,
        alias: str | None,
        role_arn: str | None,
        create_role: bool,
        redactors: list[Any],
    ) -> None:
        self.plan, self.publish, self.alias = plan, publish, alias
        self.role_arn, self.create_role, self.redactors = role_arn, create_role, redactors


def _deploy_one(
    prof: LambdaProfile,
    function: str,
    clients: AwsClients,
    options: _Options,
    zip_path: Path | None,
    redact: Callable[[str], str],
    layer_overrides: dict[str, str] | None = None,
) -> tuple[DeployResult, dict[str, Any]]:
    from dataclasses import replace

    from letrade_cli.serverless.deploy.function import deploy_function
    from letrade_cli.serverless.model import DeployRequest
    from letrade_cli.serverless.steps import StepRunner

    spec = prof.function(function)
    spec = replace(spec, tags=dict(prof.defaults.tags) | dict(spec.tags))
    runner = StepRunner(on_event=progress(redact))
    with runner.step("package") as step:
        zip_file = zip_path or _package(prof, function)
        step.detail = str(zip_file)
    request = DeployRequest(
        spec=spec,
        function_name=aws_name(prof, function),
        zip_path=zip_file,
        role_arn=options.role_arn or spec.role_arn or prof.defaults.role_arn,
        layer_names={r: aws_name(prof, r) for r in spec.layers},
        plan=options.plan,
        publish=options.publish,
        alias=options.alias,
        create_role=options.create_role,
        artifact_bucket=prof.defaults.artifact_bucket,
        layer_overrides=dict(layer_overrides or {}),
        on_environment=lambda env: options.redactors.append(env.redactor()),
    )
    result = deploy_function(request, clients, runner)
    return result, result.to_dict()


def _deploy_all(
    prof: LambdaProfile,
    clients: AwsClients,
    options: _Options,
    as_json: bool,
    redact: Callable[[str], str],
) -> None:
    from letrade_cli.serverless.deploy.ordering import deploy_order, layer_jobs
    from letrade_cli.serverless.steps import StepRunner

    runner = StepRunner(on_event=progress(redact))
    rows: list[dict[str, Any]] = []
    jobs = layer_jobs(prof)
    layers = [_publish_built_layer(prof, clients, job, options.plan, runner) for job in jobs]
    predicted = {  # a plan's layer that would be published: its functions use the new version
        (job.name, job.runtime, job.arch): f"{job.aws_name}:<new version>"
        for job, row in zip(jobs, layers, strict=True)
        if options.plan and row["change"] == "publish"
    }
    try:
        for name in deploy_order(prof):
            spec = prof.functions[name]
            overrides = {
                ref: predicted[(ref, spec.runtime, spec.architecture)]
                for ref in spec.layers
                if (ref, spec.runtime, spec.architecture) in predicted
            }
            result, data = _deploy_one(prof, name, clients, options, None, redact, overrides)
            changed = [a for a in result.actions if a.change != "skip"]
            rows.append(
                {
                    "function": result.function_name,
                    "status": "planned" if options.plan else "deployed",
                    "changes": len(changed),
                    "steps": ", ".join(f"{a.step}:{a.change}" for a in changed) or "-",
                    "version": result.version or "",
                    "actions": data["actions"],
                }
            )
    finally:
        _summary_table(rows, layers)
    data_all = {
        "plan": options.plan,
        "layers": layers,
        "functions": rows,
        "aws_writes": clients.writes(),
    }
    if as_json:
        typer.echo(redact(json.dumps(data_all, indent=2)))
    else:
        typer.echo(f"{len(rows)} function(s) {'planned' if options.plan else 'deployed'}")


def _publish_built_layer(
    prof: LambdaProfile, clients: AwsClients, job: Any, plan: bool, runner: StepRunner
) -> dict[str, Any]:
    from letrade_cli.serverless.artifact import upload_artifact
    from letrade_cli.serverless.layer.publish import publish_layer
    from letrade_cli.serverless.zipper import sha256_hex

    row = {"layer": job.aws_name, "runtime": job.runtime, "arch": job.arch, "change": "skip"}
    with runner.step(f"layer {job.name}") as step:
        if job.zip_path is None:
            step.skip("not built here; using the newest published version")
            row["change"] = "use-published"
            return row
        bucket = prof.defaults.artifact_bucket
        published = publish_layer(
            clients.client("lambda"),
            job.aws_name,
            job.zip_path,
            sha256_hex=sha256_hex(job.zip_path),
            runtimes=[job.runtime],
            arch=job.arch,
            plan=plan,
            upload=(lambda p: upload_artifact(clients, bucket, p, "layers")) if bucket else None,
        )
        if published is None:
            row["change"] = "publish"
            step.detail = f"would publish {job.zip_path}"
        elif published.published:
            row["change"] = "publish"
            step.detail = published.version_arn
        else:
            step.skip(f"unchanged: {published.version_arn}")
    return row


def _summary_table(rows: list[dict[str, Any]], layers: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from letrade_cli.ui.console import err_console

    table = Table(title="lambda-deploy --all")
    for column in ("kind", "name", "change(s)", "version"):
        table.add_column(column)
    for layer in layers:
        table.add_row(
            "layer", f"{layer['layer']} ({layer['runtime']} {layer['arch']})", layer["change"], ""
        )
    for row in rows:
        table.add_row("function", row["function"], row["steps"], row["version"])
    err_console().print(table)


def _package(prof: LambdaProfile, function: str) -> Path:
    from letrade_cli.serverless.local.package import package_function

    packaged = package_function(prof, function)
    for line in packaged.warnings:
        warn(line)
    zip_file: Path = packaged.zip_path
    return zip_file


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
