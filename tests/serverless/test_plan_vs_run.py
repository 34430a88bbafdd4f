"""A plan must predict its run: the same (step, change) records, scenario after scenario (moto)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.serverless.test_deploy import (
    deploy,
    lam,
    make_zip,
    write_profile,
)

EXTRAS = """
    reserved_concurrency: {concurrency}
    on_failure: arn:aws:sqs:us-east-1:123456789012:letrade-failures
    log_retention_days: 14
    tags: {{team: data}}
"""


def keys(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["step"], a["change"]) for a in data["actions"]]


def plan_then_run(profile: Path, endpoint: str, zip_path: Path, *extra: str) -> tuple[Any, Any]:
    code, plan, text = deploy(profile, endpoint, zip_path, "--plan", *extra)
    assert code == 0, text
    assert plan["aws_writes"] == [], plan["aws_writes"]
    code, run, text = deploy(profile, endpoint, zip_path, *extra)
    assert code == 0, text
    assert keys(plan) == keys(run), (keys(plan), keys(run))
    return plan, run


def with_extras(profile: Path, concurrency: int) -> Path:
    text = profile.read_text().replace(
        "    environment:",
        EXTRAS.format(concurrency=concurrency).strip("\n") + "\n    environment:",
    )
    profile.write_text(text)
    return profile


def test_plan_matches_run_on_every_scenario(tmp_path: Path, moto_server: str, role: str) -> None:
    profile = write_profile(tmp_path, role, schedule="rate(5 minutes)")
    zip1, zip2 = make_zip(tmp_path, "one"), make_zip(tmp_path, "two")
    live = ("--publish", "--alias", "live")

    # 1. A new function, published, aliased and scheduled.
    plan, run = plan_then_run(profile, moto_server, zip1, *live)
    assert dict(keys(run))["create-function"] == "create" and dict(keys(run))["alias"] == "create"
    assert run["version"] == "1"

    # 2. Changed code with --publish --alias: the plan says the alias moves, and it does.
    plan, run = plan_then_run(profile, moto_server, zip2, *live)
    assert ("alias", "update") in keys(plan) and ("publish-version", "publish") in keys(plan)
    assert "the new version" in next(a["detail"] for a in plan["actions"] if a["step"] == "alias")
    alias = lam(moto_server).get_alias(FunctionName="letrade-collector", Name="live")
    assert alias["FunctionVersion"] == run["version"] == "2"

    # 3. Nothing changed: every step skips, in the plan and in the run, and nothing is written.
    plan, run = plan_then_run(profile, moto_server, zip2, *live)
    assert {change for _, change in keys(run)} == {"skip"} and run["aws_writes"] == []

    # 4. A configuration change (memory) alone still publishes and moves the alias.
    plan, run = plan_then_run(write_profile(tmp_path, role, memory=512, schedule="rate(5 minutes)"),
                              moto_server, zip2, *live)  # fmt: skip
    assert ("update-configuration", "update") in keys(run) and run["version"] == "3"

    # 5. Profile extras: reserved concurrency, on-failure destination, tags, log retention.
    extras = with_extras(write_profile(tmp_path, role, memory=512, schedule="rate(5 minutes)"), 3)
    plan, run = plan_then_run(extras, moto_server, zip2, *live)
    assert {"concurrency", "on-failure", "tags", "log-retention"} <= {s for s, _ in keys(run)}
    plan, run = plan_then_run(extras, moto_server, zip2, *live)
    assert run["aws_writes"] == []
    fn = lam(moto_server)
    assert (
        fn.get_function_concurrency(FunctionName="letrade-collector")[
            "ReservedConcurrentExecutions"
        ]
        == 3
    )
    logs = boto3.client("logs", endpoint_url=moto_server)
    group = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/letrade-collector")
    assert group["logGroups"][0]["retentionInDays"] == 14


def test_alias_without_publish_is_refused_before_any_write(
    tmp_path: Path, moto_server: str, role: str
) -> None:
    profile = write_profile(tmp_path, role)
    for extra in (("--plan",), ()):
        code, _, text = deploy(
            profile, moto_server, make_zip(tmp_path, "one"), "--alias", "x", *extra
        )
        assert code == 2 and "needs --publish" in text
    assert lam(moto_server).list_functions()["Functions"] == []


@pytest.mark.parametrize("plan", [True, False])
def test_missing_role_is_refused_before_any_write(
    tmp_path: Path, moto_server: str, role: str, plan: bool
) -> None:
    profile = write_profile(tmp_path, "null")  # the ssm parameter exists (role fixture), no role
    code, _, text = deploy(profile, moto_server, make_zip(tmp_path, "one"), *(["--plan"] * plan))
    assert code == 2 and "no IAM role" in text and "--role-arn" in text
    assert lam(moto_server).list_functions()["Functions"] == []
