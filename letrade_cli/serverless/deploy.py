"""Deploy one function: create or update, publish, alias, schedule — each step idempotent.

Steps, in order (each reads the current state first, so a re-run picks up where it stopped)::

    resolve-environment  secret references -> values (never printed)
    resolve-layers       profile layer names -> latest published version ARN for the arch
    read-function        get_function; waits out an update left in progress
    create-function      only when missing; waiter function_active_v2
    update-code          skipped when the zip's base64 SHA-256 equals CodeSha256
    update-configuration only the fields that differ; waiter function_updated_v2
    publish-version      (--publish) reuses the newest version when code and config match it
    alias                (--alias) created, or moved to the version
    schedule-rule / schedule-target / schedule-permission   (profile ``schedule``)

With ``plan=True`` only get/list/describe calls are made and every step says what it would do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from letrade_cli.errors import ConfigError
from letrade_cli.serverless.aws import AwsClients, error_code
from letrade_cli.serverless.deploy_config import DesiredConfig, config_changes, describe_changes
from letrade_cli.serverless.deploy_env import ResolvedEnvironment, resolve_environment
from letrade_cli.serverless.deploy_schedule import ensure_schedule
from letrade_cli.serverless.deploy_steps import StepRunner
from letrade_cli.serverless.layer_publish import latest_version_arn
from letrade_cli.serverless.profile import FunctionSpec
from letrade_cli.serverless.zipper import lambda_code_sha256

WAITER_CONFIG = {"Delay": 2, "MaxAttempts": 150}


@dataclass(slots=True)
class DeployRequest:
    """What to deploy, resolved from the profile and the command line."""

    spec: FunctionSpec
    function_name: str
    zip_path: Path
    role_arn: str | None = None
    layer_names: dict[str, str] = field(default_factory=dict)
    plan: bool = False
    publish: bool = False
    alias: str | None = None
    on_environment: Callable[[ResolvedEnvironment], None] | None = None


@dataclass(slots=True)
class Action:
    """One thing a step did (or, in a plan, would do)."""

    step: str
    change: str  # create | update | publish | skip | ...
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"step": self.step, "change": self.change, "detail": self.detail}


@dataclass
class DeployResult:
    """What the deploy did; safe to print (secrets masked)."""

    function_name: str
    plan: bool
    code_sha256: str
    actions: list[Action] = field(default_factory=list)
    function_arn: str | None = None
    version: str | None = None
    alias_arn: str | None = None
    rule_arn: str | None = None
    layers: list[str] = field(default_factory=list)
    environment: ResolvedEnvironment = field(default_factory=ResolvedEnvironment)

    def add(self, step: str, change: str, detail: str = "") -> None:
        """Record an action."""
        self.actions.append(Action(step, change, detail))

    def changed(self) -> list[Action]:
        """Actions that write (or would write) something."""
        return [a for a in self.actions if a.change != "skip"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, environment masked."""
        return {
            "function_name": self.function_name,
            "plan": self.plan,
            "code_sha256": self.code_sha256,
            "function_arn": self.function_arn,
            "version": self.version,
            "alias_arn": self.alias_arn,
            "rule_arn": self.rule_arn,
            "layers": self.layers,
            "environment": self.environment.masked(),
            "actions": [a.to_dict() for a in self.actions],
        }


def function_aws_name(prefix: str, name: str) -> str:
    """``data-collector`` -> ``letrade-data-collector`` (no double prefix)."""
    return name if name.startswith(prefix) else f"{prefix}{name}"


def deploy_function(
    request: DeployRequest, clients: AwsClients, runner: StepRunner | None = None
) -> DeployResult:
    """Bring the function in AWS to the state the profile describes."""
    runner = runner or StepRunner()
    spec, lam = request.spec, clients.client("lambda")
    result = DeployResult(request.function_name, request.plan, lambda_code_sha256(request.zip_path))
    verb = "would " if request.plan else ""

    with runner.step("resolve-environment") as s:
        result.environment = resolve_environment(spec.environment, clients.client)
        if request.on_environment is not None:
            request.on_environment(result.environment)
        s.detail = f"{len(result.environment.values)} variable(s)"
    with runner.step("resolve-layers") as s:
        result.layers = [_layer_arn(lam, request, ref, result) for ref in spec.layers]
        s.detail = ", ".join(result.layers) or "none"
    desired = DesiredConfig(
        spec.handler,
        spec.runtime,
        spec.memory,
        spec.timeout,
        spec.description,
        result.environment,
        result.layers,
        request.role_arn,
    )
    with runner.step("read-function") as s:
        config = _read_function(lam, request.function_name, wait=not request.plan)
        s.detail = "missing" if config is None else f"state {config.get('State', '?')}"
    if config is None:
        with runner.step("create-function") as s:
            result.add(s.name, "create", f"{verb}create {request.function_name}")
            s.detail = result.actions[-1].detail
            if not request.plan:
                config = _create(lam, request, desired)
    else:
        _update_code(lam, request, config, result, runner)
        _update_configuration(lam, request, desired, config, result, runner)
    if config is not None:
        result.function_arn = str(config["FunctionArn"]).split(":$LATEST")[0]
    if request.publish:
        _publish(lam, request, desired, result, runner)
    if request.alias:
        _alias(lam, request, result, runner)
    if spec.schedule:
        ensure_schedule(clients, request, result, runner)
    return result


def _layer_arn(lam: Any, request: DeployRequest, ref: str, result: DeployResult) -> str:
    if ref.startswith("arn:"):
        return ref
    name = request.layer_names.get(ref, ref)
    try:
        return latest_version_arn(lam, name, request.spec.architecture)
    except ConfigError as exc:
        if not request.plan:
            raise
        result.add("resolve-layers", "missing", exc.message)
        return f"<{name}: not published>"


def _read_function(lam: Any, name: str, *, wait: bool) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        config: dict[str, Any] = lam.get_function(FunctionName=name)["Configuration"]
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise
    if wait and config.get("State") == "Pending":
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAITER_CONFIG)
    elif wait and config.get("LastUpdateStatus") == "InProgress":
        lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=WAITER_CONFIG)
    return config


def _create(lam: Any, request: DeployRequest, desired: DesiredConfig) -> dict[str, Any]:
    if not desired.role:
        raise ConfigError(
            f"no IAM role for {request.function_name}",
            hint="set role_arn on the function or defaults.role_arn in the profile",
        )
    lam.create_function(
        FunctionName=request.function_name,
        Code={"ZipFile": request.zip_path.read_bytes()},
        Architectures=[request.spec.architecture],
        PackageType="Zip",
        Publish=False,
        **desired.api_fields(),
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=request.function_name, WaiterConfig=WAITER_CONFIG
    )
    config: dict[str, Any] = lam.get_function_configuration(FunctionName=request.function_name)
    return config


def _update_code(
    lam: Any,
    request: DeployRequest,
    config: dict[str, Any],
    result: DeployResult,
    runner: StepRunner,
) -> None:
    arch = request.spec.architecture
    with runner.step("update-code") as s:
        same_code = config.get("CodeSha256") == result.code_sha256
        same_arch = (config.get("Architectures") or ["x86_64"]) == [arch]
        if same_code and same_arch:
            result.add(s.name, "skip", f"CodeSha256 {result.code_sha256} unchanged")
            s.skip(result.actions[-1].detail)
            return
        why = "code" if not same_code else f"architecture -> {arch}"
        result.add(s.name, "update", f"{'would ' if request.plan else ''}update {why}")
        s.detail = result.actions[-1].detail
        if request.plan:
            return
        lam.update_function_code(
            FunctionName=request.function_name,
            ZipFile=request.zip_path.read_bytes(),
            Architectures=[arch],
        )
        lam.get_waiter("function_updated_v2").wait(
            FunctionName=request.function_name, WaiterConfig=WAITER_CONFIG
        )


def _update_configuration(
    lam: Any,
    request: DeployRequest,
    desired: DesiredConfig,
    config: dict[str, Any],
    result: DeployResult,
    runner: StepRunner,
) -> None:
    with runner.step("update-configuration") as s:
        changes = config_changes(desired, config)
        if not changes:
            result.add(s.name, "skip", "configuration unchanged")
            s.skip("configuration unchanged")
            return
        lines = describe_changes(changes, config, desired.environment.secret_keys)
        result.add(s.name, "update", "; ".join(lines))
        s.detail = f"{'would change' if request.plan else 'changed'} {', '.join(changes)}"
        if request.plan:
            return
        lam.update_function_configuration(FunctionName=request.function_name, **changes)
        lam.get_waiter("function_updated_v2").wait(
            FunctionName=request.function_name, WaiterConfig=WAITER_CONFIG
        )


def _publish(
    lam: Any,
    request: DeployRequest,
    desired: DesiredConfig,
    result: DeployResult,
    runner: StepRunner,
) -> None:
    with runner.step("publish-version") as s:
        latest = _latest_version(lam, request.function_name) if result.function_arn else None
        if (
            latest is not None
            and latest.get("CodeSha256") == result.code_sha256
            and not config_changes(desired, latest)
        ):
            result.version = str(latest["Version"])
            result.add(s.name, "skip", f"version {result.version} already matches")
            s.skip(result.actions[-1].detail)
            return
        if request.plan:
            result.add(s.name, "publish", "would publish a new version")
            s.detail = "would publish"
            return
        response = lam.publish_version(
            FunctionName=request.function_name, CodeSha256=result.code_sha256
        )
        result.version = str(response["Version"])
        result.add(s.name, "publish", f"version {result.version}")
        s.detail = f"version {result.version}"


def _latest_version(lam: Any, name: str) -> dict[str, Any] | None:
    versions: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"FunctionName": name}
    while True:
        page = lam.list_versions_by_function(**kwargs)
        versions += [v for v in page.get("Versions", []) if v.get("Version") != "$LATEST"]
        if not page.get("NextMarker"):
            break
        kwargs["Marker"] = page["NextMarker"]
    return max(versions, key=lambda v: int(v["Version"])) if versions else None


def _alias(lam: Any, request: DeployRequest, result: DeployResult, runner: StepRunner) -> None:
    from botocore.exceptions import ClientError

    alias = str(request.alias)
    with runner.step("alias") as s:
        if result.version is None and result.function_arn:
            latest = _latest_version(lam, request.function_name)
            result.version = str(latest["Version"]) if latest else None
        if result.version is None:
            if request.plan:
                result.add(s.name, "create", f"would point {alias} at the new version")
                return
            raise ConfigError(
                f"alias {alias} needs a published version and there is none",
                hint="add --publish",
            )
        try:
            current = lam.get_alias(FunctionName=request.function_name, Name=alias)
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            current = None
        verb = "would " if request.plan else ""
        if current is None:
            result.add(s.name, "create", f"{verb}create {alias} -> {result.version}")
            if not request.plan:
                current = lam.create_alias(
                    FunctionName=request.function_name, Name=alias, FunctionVersion=result.version
                )
        elif current["FunctionVersion"] != result.version:
            old = current["FunctionVersion"]
            result.add(s.name, "update", f"{verb}move {alias} {old} -> {result.version}")
            if not request.plan:
                current = lam.update_alias(
                    FunctionName=request.function_name, Name=alias, FunctionVersion=result.version
                )
        else:
            result.add(s.name, "skip", f"{alias} already at {result.version}")
            s.skip(result.actions[-1].detail)
        s.detail = s.detail or result.actions[-1].detail
        if current is not None:
            result.alias_arn = str(current["AliasArn"])


def policy_statements(lam: Any, name: str, qualifier: str | None) -> list[dict[str, Any]]:
    """The function's (or alias's) resource policy statements; empty when it has none."""
    from botocore.exceptions import ClientError

    kwargs: dict[str, Any] = {"FunctionName": name}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    try:
        policy = lam.get_policy(**kwargs)["Policy"]
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return []
        raise
    statements: list[dict[str, Any]] = json.loads(policy).get("Statement", [])
    return statements
