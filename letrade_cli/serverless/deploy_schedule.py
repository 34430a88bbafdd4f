"""The EventBridge schedule of a function: rule, target and invoke permission, each once.

Rule ``<function>-schedule`` with the profile's expression; one target (the alias when
``--alias`` is given, else the function); a resource-policy statement letting
``events.amazonaws.com`` invoke it from that rule. Each part is read first and written only when
missing or different; ``ResourceConflictException`` on the permission means it is already there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from letrade_cli.serverless.aws import AwsClients, error_code
from letrade_cli.serverless.deploy_steps import StepRunner

if TYPE_CHECKING:
    from letrade_cli.serverless.deploy import DeployRequest, DeployResult

TARGET_ID = "letrade-function"


def rule_name(function_name: str) -> str:
    """The rule that schedules ``function_name`` (EventBridge names: max 64 characters)."""
    return f"{function_name}-schedule"[:64]


def ensure_schedule(
    clients: AwsClients, request: DeployRequest, result: DeployResult, runner: StepRunner
) -> None:
    """Create or fix the rule, its target and the permission, as three named steps."""
    from botocore.exceptions import ClientError

    from letrade_cli.serverless.deploy import policy_statements

    events, lam = clients.client("events"), clients.client("lambda")
    name, expression = rule_name(request.function_name), str(request.spec.schedule)
    verb = "would " if request.plan else ""
    with runner.step("schedule-rule") as s:
        rule = _describe_rule(events, name)
        if rule and rule.get("ScheduleExpression") == expression and rule.get("State") == "ENABLED":
            result.rule_arn = str(rule["Arn"])
            result.add(s.name, "skip", f"{name} {expression} unchanged")
            s.skip(result.actions[-1].detail)
        else:
            change = "create" if rule is None else "update"
            result.add(s.name, change, f"{verb}{change} {name} {expression}")
            s.detail = result.actions[-1].detail
            if not request.plan:
                result.rule_arn = str(
                    events.put_rule(
                        Name=name,
                        ScheduleExpression=expression,
                        State="ENABLED",
                        Description=f"letrade schedule for {request.function_name}",
                    )["RuleArn"]
                )

    target_arn = result.alias_arn or result.function_arn
    with runner.step("schedule-target") as s:
        targets = events.list_targets_by_rule(Rule=name)["Targets"] if rule else []
        if target_arn and any(t.get("Arn") == target_arn for t in targets):
            result.add(s.name, "skip", f"target {target_arn} present")
            s.skip(result.actions[-1].detail)
        else:
            result.add(s.name, "create", f"{verb}target {target_arn or request.function_name}")
            s.detail = result.actions[-1].detail
            if not request.plan and target_arn:
                events.put_targets(Rule=name, Targets=[{"Id": TARGET_ID, "Arn": target_arn}])

    qualifier = request.alias if result.alias_arn else None
    sid = f"letrade-events-{name}"[:100]
    with runner.step("schedule-permission") as s:
        present = result.function_arn is not None and any(
            st.get("Sid") == sid for st in policy_statements(lam, request.function_name, qualifier)
        )
        if present:
            result.add(s.name, "skip", f"{sid} present")
            s.skip(result.actions[-1].detail)
            return
        result.add(s.name, "create", f"{verb}allow events.amazonaws.com ({sid})")
        s.detail = result.actions[-1].detail
        if request.plan or not result.rule_arn:
            return
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
            result.actions[-1] = type(result.actions[-1])(s.name, "skip", f"{sid} present")
            s.skip(f"{sid} present")


def _describe_rule(events: Any, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        rule: dict[str, Any] = events.describe_rule(Name=name)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise
    return rule
