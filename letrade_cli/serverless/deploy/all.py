"""Deploy from the profile: one function (package, deploy, optionally invoke), or ``--all``.

``deploy_one`` packages the function (unless given a zip), resolves its AWS names, tags, role and
layers from the profile and calls ``function.deploy_function``; with ``invoke`` it then calls the
deployed function (``invoke.invoke_many``). ``deploy_all`` publishes every built profile layer the
functions use (``ordering.layer_jobs``), then deploys the functions in dependency order
(``ordering.deploy_order``); in a plan, a layer that would be published is predicted as
``NAME:<new version>`` for the functions using it. Nothing here prints: progress, warnings and
resolved environments go to the ``DeployHooks`` callbacks the caller passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from letrade_cli.serverless.aws import AwsClients
from letrade_cli.serverless.deploy.function import deploy_function
from letrade_cli.serverless.deploy.invoke import InvokeSummary, invoke_many
from letrade_cli.serverless.deploy.ordering import LayerJob, deploy_order, layer_jobs
from letrade_cli.serverless.environment import ResolvedEnvironment
from letrade_cli.serverless.layer.publish import publish_layer_zip
from letrade_cli.serverless.local.package import package_function
from letrade_cli.serverless.model import DeployRequest, DeployResult
from letrade_cli.serverless.profile import LambdaProfile
from letrade_cli.serverless.steps import StepCallback, StepRunner
from letrade_cli.serverless.zipper import sha256_hex


@dataclass(slots=True, frozen=True)
class DeployOptions:
    """The command line's deploy flags, the same for every function of a run."""

    plan: bool = False
    publish: bool = False
    alias: str | None = None
    role_arn: str | None = None
    create_role: bool = False


@dataclass(slots=True, frozen=True)
class DeployHooks:
    """Where a deploy reports: step events, packaging warnings, each resolved environment."""

    on_event: StepCallback | None = None
    on_warning: Callable[[str], None] | None = None
    on_environment: Callable[[ResolvedEnvironment], None] | None = None


@dataclass(slots=True)
class FunctionDeploy:
    """One function deployed (or planned), and its invoke figures when asked for."""

    result: DeployResult
    invoke: InvokeSummary | None = None


@dataclass(slots=True)
class DeployAllResult:
    """``--all``: a row per layer job and per function, in the order they ran."""

    plan: bool
    layers: list[dict[str, Any]] = field(default_factory=list)
    functions: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, aws_writes: Any) -> dict[str, Any]:
        """JSON-ready form, with the AWS writes the run made (none in a plan)."""
        return {
            "plan": self.plan,
            "layers": self.layers,
            "functions": self.functions,
            "aws_writes": aws_writes,
        }


def deploy_one(
    profile: LambdaProfile,
    name: str,
    clients: AwsClients,
    options: DeployOptions,
    hooks: DeployHooks | None = None,
    *,
    zip_path: Path | None = None,
    layer_overrides: dict[str, str] | None = None,
    invoke: bool = False,
    warm: int = 0,
) -> FunctionDeploy:
    """Package (unless ``zip_path``) and deploy function ``name``; invoke it when asked.

    Args:
        profile: the Lambda profile holding ``name``.
        name: a key under ``functions:``.
        clients: boto3 clients for the target account and region.
        options: the deploy flags.
        hooks: progress, warning and environment callbacks.
        zip_path: deploy this zip instead of packaging.
        layer_overrides: layer ref -> ARN a plan predicts (``deploy_all``).
        invoke: call the function once (plus ``warm`` times) after deploying; not in a plan.
        warm: extra invokes after the first.
    """
    hooks = hooks or DeployHooks()
    spec = profile.function(name)
    spec = replace(spec, tags=dict(profile.defaults.tags) | dict(spec.tags))
    runner = StepRunner(on_event=hooks.on_event)
    with runner.step("package") as step:
        if zip_path is None:
            zip_file, unused = _package(profile, name, hooks.on_warning)
            # a layer none of the function's imports needs is not attached (cold start, size)
            spec = replace(spec, layers=[r for r in spec.layers if r not in unused])
        else:
            zip_file = zip_path
        step.detail = str(zip_file)
    request = DeployRequest(
        spec=spec,
        function_name=profile.aws_name(name),
        zip_path=zip_file,
        role_arn=options.role_arn or spec.role_arn or profile.defaults.role_arn,
        layer_names={r: profile.aws_name(r) for r in spec.layers},
        plan=options.plan,
        publish=options.publish,
        alias=options.alias,
        create_role=options.create_role,
        artifact_bucket=profile.defaults.artifact_bucket,
        layer_overrides=dict(layer_overrides or {}),
        on_environment=hooks.on_environment,
    )
    deployed = FunctionDeploy(deploy_function(request, clients, runner))
    if (invoke or warm) and not options.plan:
        lam = clients.client("lambda")
        deployed.invoke = invoke_many(lam, deployed.result.function_name, options.alias, warm=warm)
    return deployed


def deploy_all(
    profile: LambdaProfile,
    clients: AwsClients,
    options: DeployOptions,
    hooks: DeployHooks | None = None,
    on_summary: Callable[[DeployAllResult], None] | None = None,
) -> DeployAllResult:
    """Publish the built layers the functions use, then deploy every function in order.

    Not a plan: every function is planned first, so one that would be refused stops the run
    before anything is written (``--all`` is all or nothing up to AWS's own failures).
    ``on_summary`` is called once the functions were tried, also when one of them failed (the
    exception then propagates after it), so the caller can show what was done.
    """
    hooks = hooks or DeployHooks()
    if not options.plan:
        # Every function's plan first, quietly: a refusal (no role, a missing layer, a bad
        # zip) stops the run here, before the first write, never halfway through.
        deploy_all(profile, clients, replace(options, plan=True), DeployHooks())
    runner = StepRunner(on_event=hooks.on_event)
    jobs = layer_jobs(profile)
    bucket = profile.defaults.artifact_bucket
    outcome = DeployAllResult(options.plan)
    outcome.layers = [_publish_job(clients, job, bucket, options.plan, runner) for job in jobs]
    predicted = {  # a plan's layer that would be published: its functions use the new version
        (job.name, job.runtime, job.arch): f"{job.aws_name}:<new version>"
        for job, row in zip(jobs, outcome.layers, strict=True)
        if options.plan and row["change"] == "publish"
    }
    try:
        for name in deploy_order(profile):
            spec = profile.functions[name]
            overrides = {
                ref: predicted[(ref, spec.runtime, spec.architecture)]
                for ref in spec.layers
                if (ref, spec.runtime, spec.architecture) in predicted
            }
            result = deploy_one(
                profile, name, clients, options, hooks, layer_overrides=overrides
            ).result
            changed = result.changed()
            outcome.functions.append(
                {
                    "function": result.function_name,
                    "status": "planned" if options.plan else "deployed",
                    "changes": len(changed),
                    "steps": ", ".join(f"{a.step}:{a.change}" for a in changed) or "-",
                    "version": result.version or "",
                    "actions": [a.to_dict() for a in result.actions],
                }
            )
    finally:
        if on_summary is not None:
            on_summary(outcome)
    return outcome


def _publish_job(
    clients: AwsClients, job: LayerJob, bucket: str | None, plan: bool, runner: StepRunner
) -> dict[str, Any]:
    """Publish one layer job's built zip (or note that the newest published one is used)."""
    row = {"layer": job.aws_name, "runtime": job.runtime, "arch": job.arch, "change": "skip"}
    with runner.step(f"layer {job.name}") as step:
        if job.zip_path is None:
            step.skip("not built here; using the newest published version")
            row["change"] = "use-published"
            return row
        published = publish_layer_zip(
            clients,
            job.aws_name,
            job.zip_path,
            sha256_hex=sha256_hex(job.zip_path),
            runtime=job.runtime,
            arch=job.arch,
            bucket=bucket,
            plan=plan,
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


def _package(
    profile: LambdaProfile, name: str, warn: Callable[[str], None] | None
) -> tuple[Path, list[str]]:
    """The packaged zip and the profile layers it does not import."""
    packaged = package_function(profile, name)
    for line in packaged.warnings:
        if warn is not None:
            warn(line)
    zip_file: Path = packaged.zip_path
    return zip_file, list(packaged.unused_layers)
