"""Profile settings beyond the function configuration, each read first and written only if needed.

    concurrency    reserved_concurrency  Put/DeleteFunctionConcurrency
    on-failure     on_failure (ARN)      Put/DeleteFunctionEventInvokeConfig (async destination)
    tags           defaults.tags + tags  TagResource (always ``managed-by: letrade``)
    log-retention  log_retention_days    CreateLogGroup + PutRetentionPolicy on /aws/lambda/NAME

A setting absent from the profile is left as it is in AWS, except reserved concurrency and the
on-failure destination that letrade set before (removed when the profile drops them).
"""

from __future__ import annotations

from typing import Any

from letrade_cli.serverless.aws import AwsClients, error_code
from letrade_cli.serverless.model import Action, DeployRequest, DeployResult, PlannedStep

MANAGED_TAGS = {"managed-by": "letrade"}


def log_group_name(function_name: str) -> str:
    """Lambda's log group for a function."""
    return f"/aws/lambda/{function_name}"


def plan_extras(
    clients: AwsClients, request: DeployRequest, result: DeployResult, *, exists: bool
) -> list[PlannedStep]:
    """The concurrency, on-failure, tags and log-retention steps that apply to this profile."""
    lam, spec, name = clients.client("lambda"), request.spec, request.function_name
    steps: list[PlannedStep] = []
    current_conc = _concurrency(lam, name) if exists else None
    if spec.reserved_concurrency is not None or current_conc is not None:
        steps.append(_concurrency_step(lam, name, spec.reserved_concurrency, current_conc))
    current_dest = _on_failure(lam, name) if exists else None
    if spec.on_failure is not None or current_dest is not None:
        steps.append(_on_failure_step(lam, name, spec.on_failure, current_dest))
    if exists:  # a new function gets its tags on create; an old one may predate the managed tag
        steps.append(_tags_step(lam, name, dict(spec.tags), result, exists=exists))
    if spec.log_retention_days is not None:
        steps.append(_retention_step(clients.client("logs"), name, spec.log_retention_days))
    return steps


def _concurrency(lam: Any, name: str) -> int | None:
    value = lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
    return None if value is None else int(value)


def _concurrency_step(lam: Any, name: str, want: int | None, have: int | None) -> PlannedStep:
    if want == have:
        return PlannedStep(Action("concurrency", "skip", f"reserved {want}"))
    if want is None:
        return PlannedStep(
            Action("concurrency", "delete", f"remove reserved concurrency {have}"),
            lambda: lam.delete_function_concurrency(FunctionName=name),
        )
    change = "create" if have is None else "update"
    return PlannedStep(
        Action("concurrency", change, f"reserved {have} -> {want}"),
        lambda: lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=want),
    )


def _on_failure(lam: Any, name: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        config = lam.get_function_event_invoke_config(FunctionName=name)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise
    destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    return str(destination) if destination else None


def _on_failure_step(lam: Any, name: str, want: str | None, have: str | None) -> PlannedStep:
    if want == have:
        return PlannedStep(Action("on-failure", "skip", f"destination {want}"))
    if want is None:
        return PlannedStep(
            Action("on-failure", "delete", f"remove destination {have}"),
            lambda: lam.delete_function_event_invoke_config(FunctionName=name),
        )
    change = "create" if have is None else "update"
    config = {"OnFailure": {"Destination": want}}
    return PlannedStep(
        Action("on-failure", change, f"destination {have} -> {want}"),
        lambda: lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig=config),
    )


def _tags_step(
    lam: Any, name: str, want: dict[str, str], result: DeployResult, *, exists: bool
) -> PlannedStep:
    want = want | MANAGED_TAGS
    have: dict[str, str] = {}
    if exists and result.function_arn:
        have = dict(lam.list_tags(Resource=result.function_arn).get("Tags", {}))
    missing = {k: v for k, v in want.items() if have.get(k) != v}
    if not exists:
        return PlannedStep(Action("tags", "skip", "set when the function is created"))
    if not missing:
        return PlannedStep(Action("tags", "skip", f"{len(want)} tag(s) present"))

    def apply() -> None:
        lam.tag_resource(Resource=result.function_arn, Tags=missing)

    return PlannedStep(Action("tags", "update", f"tag {', '.join(sorted(missing))}"), apply)


def _retention_step(logs: Any, name: str, days: int) -> PlannedStep:
    group = log_group_name(name)
    groups = logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups", [])
    found = next((g for g in groups if g.get("logGroupName") == group), None)
    if found is not None and found.get("retentionInDays") == days:
        return PlannedStep(Action("log-retention", "skip", f"{group} {days} days"))

    def apply() -> None:
        if found is None:
            logs.create_log_group(logGroupName=group, tags=MANAGED_TAGS)
        logs.put_retention_policy(logGroupName=group, retentionInDays=days)

    change = "create" if found is None else "update"
    return PlannedStep(Action("log-retention", change, f"{group} {days} days"), apply)
