"""``lambda-destroy``: remove what letrade created for a function, and only that.

Decided from reads first (so ``--plan`` lists exactly the deletions), refused when the function
does not carry the ``managed-by: letrade`` tag. Removed, in order: the schedule target
``letrade-function`` and the letrade-tagged rule ``<function>-schedule`` (kept if other targets
remain), the ``letrade-events-*`` permission statements, the aliases, the function; with
``layers`` the versions of those layers that letrade published (description ``letrade sha256=``);
the role ``--create-role`` made for it (``<function>-role``, tagged ``managed-by: letrade``, and
only when the function uses it: a role passed with ``--role-arn`` is the user's) with its inline
policy; and the function's log group ``/aws/lambda/<function>`` (kept with ``keep_logs``).
Every detail names its function, so ``--all --plan`` lists each deletion once per function.
"""

from __future__ import annotations

from typing import Any

from letrade_cli.core.errors import ConfigError
from letrade_cli.serverless.aws import AwsClients, error_code
from letrade_cli.serverless.deploy.extras import log_group_name
from letrade_cli.serverless.deploy.reads import (
    describe_rule,
    list_aliases,
    policy_statements,
    read_function,
)
from letrade_cli.serverless.deploy.role import role_name
from letrade_cli.serverless.deploy.schedule import SID_PREFIX, TARGET_ID, rule_name
from letrade_cli.serverless.layer.publish import DESCRIPTION_PREFIX, list_versions
from letrade_cli.serverless.model import Action, PlannedStep

MANAGED = ("managed-by", "letrade")


def plan_destroy(
    clients: AwsClients,
    function_name: str,
    layers: list[str] | None = None,
    *,
    keep_logs: bool = False,
) -> list[PlannedStep]:
    """Every deletion for ``function_name`` (its role, logs, letrade layer versions), from reads."""
    lam, events = clients.client("lambda"), clients.client("events")
    steps: list[PlannedStep] = []
    config = read_function(lam, function_name)
    if config is None:
        steps.append(PlannedStep(Action("function", "skip", f"{function_name} does not exist")))
    else:
        arn = str(config["FunctionArn"])
        tags = lam.list_tags(Resource=arn).get("Tags", {})
        if tags.get(MANAGED[0]) != MANAGED[1]:
            raise ConfigError(
                f"{function_name} was not created by letrade (no managed-by: letrade tag); "
                "refusing to delete it",
                hint="delete it in the console or with the AWS CLI if you really mean to",
            )
        steps += _schedule_steps(events, function_name)
        aliases = [str(a["Name"]) for a in list_aliases(lam, function_name)]
        removed: set[str] = set()
        for qualifier in [*aliases, None]:  # alias statements first; a Sid is removed once
            for statement in policy_statements(lam, function_name, qualifier):
                sid = str(statement.get("Sid", ""))
                if sid.startswith(SID_PREFIX) and sid not in removed:
                    removed.add(sid)
                    steps.append(_remove_permission(lam, function_name, sid, qualifier))
        for alias in aliases:
            steps.append(_delete_alias(lam, function_name, alias))
        steps.append(
            PlannedStep(
                Action("function", "delete", f"delete {function_name}"),
                lambda: lam.delete_function(FunctionName=function_name),
            )
        )
        steps += _role_steps(clients.client("iam"), function_name, str(config.get("Role", "")))
    if not keep_logs:
        steps += _log_group_steps(clients.client("logs"), function_name)
    for layer in layers or []:
        steps += _layer_steps(lam, layer)
    return steps


def _schedule_steps(events: Any, function_name: str) -> list[PlannedStep]:
    name = rule_name(function_name)
    rule = describe_rule(events, name)
    if rule is None:
        return []
    tags = {
        t["Key"]: t["Value"] for t in events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]
    }
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    ours = [t for t in targets if t.get("Id") == TARGET_ID]
    steps: list[PlannedStep] = []
    if ours:
        steps.append(
            PlannedStep(
                Action("schedule-target", "delete", f"remove target {TARGET_ID} from {name}"),
                lambda: events.remove_targets(Rule=name, Ids=[TARGET_ID]),
            )
        )
    if tags.get(MANAGED[0]) == MANAGED[1] and len(targets) == len(ours):
        steps.append(
            PlannedStep(
                Action("schedule-rule", "delete", f"delete rule {name}"),
                lambda: events.delete_rule(Name=name),
            )
        )
    else:
        why = "not created by letrade" if tags.get(MANAGED[0]) != MANAGED[1] else "other targets"
        steps.append(PlannedStep(Action("schedule-rule", "skip", f"keep {name}: {why}")))
    return steps


def _remove_permission(
    lam: Any, function_name: str, sid: str, qualifier: str | None
) -> PlannedStep:
    kwargs: dict[str, Any] = {"FunctionName": function_name, "StatementId": sid}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    where = f"{function_name}:{qualifier}" if qualifier else function_name
    return PlannedStep(
        Action("permission", "delete", f"remove {sid} from {where}"),
        lambda: lam.remove_permission(**kwargs),
    )


def _layer_steps(lam: Any, layer_name: str) -> list[PlannedStep]:
    steps: list[PlannedStep] = []
    for version in list_versions(lam, layer_name):
        if not str(version.get("Description", "")).startswith(DESCRIPTION_PREFIX):
            continue
        steps.append(_delete_layer_version(lam, layer_name, int(version["Version"])))
    return steps


def _delete_alias(lam: Any, function_name: str, alias: str) -> PlannedStep:
    return PlannedStep(
        Action("alias", "delete", f"delete alias {function_name}:{alias}"),
        lambda: lam.delete_alias(FunctionName=function_name, Name=alias),
    )


def _delete_layer_version(lam: Any, layer_name: str, number: int) -> PlannedStep:
    return PlannedStep(
        Action("layer-version", "delete", f"delete {layer_name}:{number}"),
        lambda: lam.delete_layer_version(LayerName=layer_name, VersionNumber=number),
    )


def _role_steps(iam: Any, function_name: str, role_arn: str) -> list[PlannedStep]:
    """The role letrade created for this function, if the function still uses it."""
    name = role_name(function_name)
    if not role_arn.endswith(f":role/{name}"):
        return []  # the user's own role (--role-arn): never ours to delete
    try:
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name).get("Tags", [])}
    except Exception as exc:
        if error_code(exc) == "NoSuchEntity":
            return []
        raise
    if tags.get(MANAGED[0]) != MANAGED[1]:
        return [PlannedStep(Action("role", "skip", f"keep {name}: not created by letrade"))]
    policies = iam.list_role_policies(RoleName=name).get("PolicyNames", [])

    def delete() -> None:
        for policy in policies:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        iam.delete_role(RoleName=name)

    return [PlannedStep(Action("role", "delete", f"delete role {name} ({function_name})"), delete)]


def _log_group_steps(logs: Any, function_name: str) -> list[PlannedStep]:
    group = log_group_name(function_name)
    found = logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups", [])
    if not any(g.get("logGroupName") == group for g in found):
        return []
    return [
        PlannedStep(
            Action("log-group", "delete", f"delete log group {group}"),
            lambda: logs.delete_log_group(logGroupName=group),
        )
    ]
