"""The EventBridge schedule of a function: rule, target and invoke permission, each once.

Rule ``<function>-schedule`` with the profile's expression (tagged ``managed-by: letrade``); one
target (the alias when ``--alias`` is given, else the function); a resource-policy statement
``letrade-events-<rule>`` letting ``events.amazonaws.com`` invoke it from that rule. Each part is
read first and written only when missing or different.
"""

from __future__ import annotations

from typing import Any

from letrade_cli.serverless.aws import AwsClients, error_code
from letrade_cli.serverless.deploy.reads import describe_rule, policy_statements
from letrade_cli.serverless.model import Action, DeployRequest, DeployResult, PlannedStep

TARGET_ID = "letrade-function"
SID_PREFIX = "letrade-events-"


def rule_name(function_name: str) -> str:
    """The rule that schedules ``function_name`` (EventBridge names: max 64 characters)."""
    return f"{function_name}-schedule"[:64]


def statement_id(function_name: str) -> str:
    """The permission statement letrade adds for the rule."""
    return f"{SID_PREFIX}{rule_name(function_name)}"[:100]


def plan_schedule(
    clients: AwsClients, request: DeployRequest, result: DeployResult
) -> list[PlannedStep]:
    """Decide the rule, target and permission steps from reads."""
    events, lam = clients.client("events"), clients.client("lambda")
    name, expression = rule_name(request.function_name), str(request.spec.schedule)
    steps: list[PlannedStep] = []

    rule = describe_rule(events, name)
    if rule is not None:
        result.rule_arn = str(rule["Arn"])
    if rule and rule.get("ScheduleExpression") == expression and rule.get("State") == "ENABLED":
        steps.append(PlannedStep(Action("schedule-rule", "skip", f"{name} {expression}")))
    else:
        change = "create" if rule is None else "update"

        def put_rule() -> None:
            kwargs: dict[str, Any] = {
                "Name": name,
                "ScheduleExpression": expression,
                "State": "ENABLED",
                "Description": f"letrade schedule for {request.function_name}",
            }
            if rule is None:
                kwargs["Tags"] = [{"Key": "managed-by", "Value": "letrade"}]
            result.rule_arn = str(events.put_rule(**kwargs)["RuleArn"])

        steps.append(PlannedStep(Action("schedule-rule", change, f"{change} {name}"), put_rule))

    expected = None
    if result.function_arn:
        expected = (
            f"{result.function_arn}:{request.alias}" if request.alias else result.function_arn
        )
    targets = events.list_targets_by_rule(Rule=name)["Targets"] if rule else []
    if expected and any(t.get("Arn") == expected for t in targets):
        steps.append(PlannedStep(Action("schedule-target", "skip", f"target {expected}")))
    else:

        def put_target() -> None:
            arn = result.alias_arn or result.function_arn
            events.put_targets(Rule=name, Targets=[{"Id": TARGET_ID, "Arn": arn}])

        shown = expected or request.function_name
        steps.append(
            PlannedStep(Action("schedule-target", "create", f"target {shown}"), put_target)
        )

    qualifier = request.alias
    sid = statement_id(request.function_name)
    present = result.function_arn is not None and any(
        st.get("Sid") == sid for st in _statements(lam, request.function_name, qualifier)
    )
    if present:
        steps.append(PlannedStep(Action("schedule-permission", "skip", f"{sid} present")))
        return steps

    def add_permission() -> None:
        from botocore.exceptions import ClientError

        kwargs: dict[str, Any] = {
            "FunctionName": request.function_name,
            "StatementId": sid,
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
            "SourceArn": result.rule_arn,
        }
        if qualifier:
            kwargs["Qualifier"] = qualifier
        try:
            lam.add_permission(**kwargs)
        except ClientError as exc:
            if error_code(exc) != "ResourceConflictException":
                raise

    detail = f"allow events.amazonaws.com ({sid})"
    steps.append(PlannedStep(Action("schedule-permission", "create", detail), add_permission))
    return steps


def _statements(lam: Any, name: str, qualifier: str | None) -> list[dict[str, Any]]:
    from botocore.exceptions import ClientError

    try:
        return policy_statements(lam, name, qualifier)
    except ClientError as exc:
        # The alias does not exist yet (it is created by this deploy): no statement either.
        if error_code(exc) in ("ResourceNotFoundException",):
            return []
        raise
