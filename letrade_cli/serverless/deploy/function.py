"""Deploy one function: decide every step from reads, validate, then write — a plan tells the truth.

A deploy runs in two phases. **Decide**: only Get/List/Describe calls; each step becomes an
``Action`` (``create``/``update``/``publish``/``skip`` and a detail) with the write that carries
it out; every precondition (a valid zip holding the handler, ``--alias`` with ``--publish``, a
role for a new function, a layer version for the runtime *and* architecture) is checked here, so
a refused deploy has written nothing. **Apply** (skipped by ``--plan``): the writes, in order.
``--plan`` therefore returns exactly the actions a real run performs.

Steps, in order::

    resolve-environment  secret references -> values (never printed)
    resolve-layers       profile layer names -> newest version for the runtime and architecture
    role                 (--create-role) least-privilege execution role, see ``role.py``
    read-function        get_function; waits out an update left in progress (not in a plan)
    create-function      only when missing
    update-code          skipped when the zip's base64 SHA-256 equals CodeSha256
    update-configuration only the fields that differ
    concurrency / on-failure / tags / log-retention   (profile settings, see ``extras.py``)
    publish-version      (--publish) reuses the newest version when code and config match it
    alias                (--alias, needs --publish) created, or moved to the version
    schedule-rule / schedule-target / schedule-permission   (profile ``schedule``)
"""

from __future__ import annotations

import time
from typing import Any

from letrade_cli.core.errors import ConfigError, UsageError
from letrade_cli.serverless.artifact import code_location, needs_s3, validate_zip
from letrade_cli.serverless.aws import AwsClients
from letrade_cli.serverless.deploy.config import DesiredConfig, config_changes, describe_changes
from letrade_cli.serverless.deploy.extras import plan_extras
from letrade_cli.serverless.deploy.reads import (
    WAITER_CONFIG,
    get_alias,
    latest_version,
    read_function,
)
from letrade_cli.serverless.deploy.role import plan_role
from letrade_cli.serverless.deploy.schedule import plan_schedule
from letrade_cli.serverless.environment import resolve_environment
from letrade_cli.serverless.layer.publish import latest_version_arn
from letrade_cli.serverless.model import Action, DeployRequest, DeployResult, PlannedStep
from letrade_cli.serverless.steps import StepRunner
from letrade_cli.serverless.zipper import lambda_code_sha256

MANAGED_TAG = ("managed-by", "letrade")
ROLE_PROPAGATION_ATTEMPTS = 10
ROLE_PROPAGATION_DELAY_S = 3.0


def preflight(request: DeployRequest) -> None:
    """Checks that need no AWS call: flags that cannot work together, and the zip itself."""
    if request.alias and not request.publish:
        raise UsageError(
            f"--alias {request.alias} needs --publish: an alias points at a published version",
            hint="add --publish (or use lambda-rollback to move an alias to an existing version)",
        )
    validate_zip(request.zip_path, request.spec.handler)
    if needs_s3(request.zip_path) and not request.artifact_bucket:
        raise ConfigError(
            f"{request.zip_path} is over Lambda's 50 MB direct upload limit",
            hint="set defaults.artifact_bucket in the profile to upload through S3",
        )


def deploy_function(
    request: DeployRequest, clients: AwsClients, runner: StepRunner | None = None
) -> DeployResult:
    """Bring the function in AWS to the state the profile describes (or, with plan, say how)."""
    runner = runner or StepRunner()
    preflight(request)
    result = DeployResult(request.function_name, request.plan, lambda_code_sha256(request.zip_path))
    steps = decide(request, clients, result, runner)
    for planned in steps:
        with runner.step(planned.action.step) as s:
            action = planned.action
            if request.plan or planned.apply is None:
                prefix = "would " if request.plan and action.change != "skip" else ""
                result.actions.append(Action(action.step, action.change, prefix + action.detail))
                if action.change == "skip":
                    s.skip(action.detail)
                else:
                    s.detail = prefix + action.detail
                continue
            planned.apply()
            result.actions.append(action)
            s.detail = action.detail
    return result


def decide(
    request: DeployRequest, clients: AwsClients, result: DeployResult, runner: StepRunner
) -> list[PlannedStep]:
    """Every step's action and write, from read-only calls; raises before any write."""
    spec, lam = request.spec, clients.client("lambda")
    with runner.step("resolve-environment") as s:
        result.environment = resolve_environment(spec.environment, clients.client)
        if request.on_environment is not None:
            request.on_environment(result.environment)
        s.detail = f"{len(result.environment.values)} variable(s)"
    with runner.step("resolve-layers") as s:
        result.layers = [_layer_arn(lam, request, ref) for ref in spec.layers]
        s.detail = ", ".join(result.layers) or "none"
    steps: list[PlannedStep] = []
    role = request.role_arn
    if request.create_role:
        with runner.step("read-role") as s:
            role_steps, role = plan_role(clients, request)
            s.detail = role
        steps += role_steps
    result.role_arn = role
    desired = DesiredConfig(
        spec.handler,
        spec.runtime,
        spec.memory,
        spec.timeout,
        spec.description,
        result.environment,
        result.layers,
        role,
        spec.dead_letter_arn,
    )
    with runner.step("read-function") as s:
        config = read_function(lam, request.function_name, wait=not request.plan)
        s.detail = "missing" if config is None else f"state {config.get('State', '?')}"
    writes_code = True
    if config is None:
        if not role:
            raise ConfigError(
                f"no IAM role for {request.function_name}",
                hint="pass --role-arn ARN, set LETRADE_LAMBDA_ROLE_ARN, or add --create-role",
            )
        steps.append(_create_step(lam, request, desired, result, clients))
    else:
        result.function_arn = _unqualified(config["FunctionArn"])
        code_step = _code_step(lam, request, config, result, clients)
        config_step = _config_step(lam, request, desired, config)
        writes_code = code_step.action.change != "skip" or config_step.action.change != "skip"
        steps += [code_step, config_step]
    steps += plan_extras(clients, request, result, exists=config is not None)
    if request.publish:
        steps.append(_publish_step(lam, request, desired, result, writes_code=writes_code))
    if request.alias:
        steps.append(_alias_step(lam, request, result, exists=config is not None))
    if spec.schedule:
        steps += plan_schedule(clients, request, result)
    return steps


def _layer_arn(lam: Any, request: DeployRequest, ref: str) -> str:
    if ref.startswith("arn:"):
        return ref
    if ref in request.layer_overrides:
        return request.layer_overrides[ref]
    name = request.layer_names.get(ref, ref)
    return latest_version_arn(lam, name, request.spec.runtime, request.spec.architecture)


def _unqualified(arn: str) -> str:
    return arn.split(":$LATEST")[0]


def _wait_updated(lam: Any, name: str) -> None:
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=WAITER_CONFIG)


def _create_step(
    lam: Any,
    request: DeployRequest,
    desired: DesiredConfig,
    result: DeployResult,
    clients: AwsClients,
) -> PlannedStep:
    def apply() -> None:
        tags = dict(request.spec.tags) | dict([MANAGED_TAG])
        kwargs = {
            "FunctionName": request.function_name,
            "Code": code_location(clients, request),
            "Architectures": [request.spec.architecture],
            "PackageType": "Zip",
            "Publish": False,
            "Tags": tags,
            **desired.api_fields(),
        }
        _create_with_new_role(lam, kwargs, fresh_role=request.create_role)
        lam.get_waiter("function_active_v2").wait(
            FunctionName=request.function_name, WaiterConfig=WAITER_CONFIG
        )
        config = lam.get_function_configuration(FunctionName=request.function_name)
        result.function_arn = _unqualified(str(config["FunctionArn"]))

    return PlannedStep(
        Action("create-function", "create", f"create {request.function_name}"), apply
    )


def _create_with_new_role(lam: Any, kwargs: dict[str, Any], *, fresh_role: bool) -> None:
    """CreateFunction; a role created seconds ago may not be assumable yet (IAM propagation)."""
    from botocore.exceptions import ClientError

    for attempt in range(ROLE_PROPAGATION_ATTEMPTS):
        try:
            lam.create_function(**kwargs)
            return
        except ClientError as exc:
            message = str(exc.response.get("Error", {}).get("Message", ""))
            last = attempt + 1 == ROLE_PROPAGATION_ATTEMPTS
            if not fresh_role or "cannot be assumed" not in message or last:
                raise
            time.sleep(ROLE_PROPAGATION_DELAY_S)


def _code_step(
    lam: Any,
    request: DeployRequest,
    config: dict[str, Any],
    result: DeployResult,
    clients: AwsClients,
) -> PlannedStep:
    arch = request.spec.architecture
    same_code = config.get("CodeSha256") == result.code_sha256
    same_arch = (config.get("Architectures") or ["x86_64"]) == [arch]
    if same_code and same_arch:
        return PlannedStep(Action("update-code", "skip", f"CodeSha256 {result.code_sha256}"))
    why = "code" if not same_code else f"architecture -> {arch}"

    def apply() -> None:
        location = code_location(clients, request)
        kwargs = (
            {"ZipFile": location["ZipFile"]}
            if "ZipFile" in location
            else {"S3Bucket": location["S3Bucket"], "S3Key": location["S3Key"]}
        )
        lam.update_function_code(FunctionName=request.function_name, Architectures=[arch], **kwargs)
        _wait_updated(lam, request.function_name)

    return PlannedStep(Action("update-code", "update", f"update {why}"), apply)


def _config_step(
    lam: Any, request: DeployRequest, desired: DesiredConfig, config: dict[str, Any]
) -> PlannedStep:
    changes = config_changes(desired, config)
    if not changes:
        return PlannedStep(Action("update-configuration", "skip", "configuration unchanged"))
    lines = describe_changes(changes, config, desired.environment.secret_keys)

    def apply() -> None:
        lam.update_function_configuration(FunctionName=request.function_name, **changes)
        _wait_updated(lam, request.function_name)

    return PlannedStep(Action("update-configuration", "update", "; ".join(lines)), apply)


def _publish_step(
    lam: Any,
    request: DeployRequest,
    desired: DesiredConfig,
    result: DeployResult,
    *,
    writes_code: bool,
) -> PlannedStep:
    latest = latest_version(lam, request.function_name) if result.function_arn else None
    if (
        not writes_code
        and latest is not None
        and latest.get("CodeSha256") == result.code_sha256
        and not config_changes(desired, latest)
    ):
        result.version = str(latest["Version"])
        return PlannedStep(
            Action("publish-version", "skip", f"version {result.version} already matches")
        )
    after = f" (after {latest['Version']})" if latest else ""
    action = Action("publish-version", "publish", f"publish a new version{after}")

    def apply() -> None:
        response = lam.publish_version(
            FunctionName=request.function_name, CodeSha256=result.code_sha256
        )
        result.version = str(response["Version"])
        action.detail = f"version {result.version}"

    return PlannedStep(action, apply)


def _alias_step(
    lam: Any, request: DeployRequest, result: DeployResult, *, exists: bool
) -> PlannedStep:
    alias, name = str(request.alias), request.function_name
    current = get_alias(lam, name, alias) if exists else None
    if current is not None:
        result.alias_arn = str(current["AliasArn"])
    if current is not None and current["FunctionVersion"] == result.version:
        return PlannedStep(Action("alias", "skip", f"{alias} already at {result.version}"))
    target = result.version or "the new version"
    if current is None:
        action = Action("alias", "create", f"create {alias} -> {target}")
    else:
        action = Action("alias", "update", f"move {alias} {current['FunctionVersion']} -> {target}")

    def apply() -> None:
        version = str(result.version)
        if current is None:
            answer = lam.create_alias(FunctionName=name, Name=alias, FunctionVersion=version)
        else:
            answer = lam.update_alias(FunctionName=name, Name=alias, FunctionVersion=version)
        result.alias_arn = str(answer["AliasArn"])
        action.detail = action.detail.replace("the new version", version)

    return PlannedStep(action, apply)
