"""``--create-role``: a least-privilege execution role per function, created and kept idempotently.

Role ``<function>-role`` (trusted by ``lambda.amazonaws.com``, tagged ``managed-by: letrade``)
with one inline policy ``letrade-least-privilege`` allowing only:

- its own log group ``/aws/lambda/<function>`` (create group/stream, put events);
- with ``BUCKET`` in the environment: get/put objects under ``BUCKET/PREFIX/`` and list that
  prefix (the collector's idempotent merge reads before it writes);
- with ``COLLECTOR_FUNCTION`` (the orchestrator): ``lambda:InvokeFunction`` on that function;
- for each ``ssm:/path`` / ``secretsmanager:ID`` value: ``ssm:GetParameter`` /
  ``secretsmanager:GetSecretValue`` on exactly that parameter or secret (the function reads its
  secrets at run time; a SecureString under the account's default ``aws/ssm`` key needs no
  ``kms:Decrypt``);
- for ``on_failure`` and ``dead_letter_arn``: what Lambda needs to deliver there (SQS
  ``sqs:SendMessage``, SNS ``sns:Publish``, a function ``lambda:InvokeFunction``, an event bus
  ``events:PutEvents``).

The role and the policy are read first (GetRole, GetRolePolicy) and written only when missing
or different, so ``--plan`` predicts them and a re-run writes nothing.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from letrade_cli.serverless.aws import AwsClients, error_code
from letrade_cli.serverless.environment import run_time_references
from letrade_cli.serverless.model import Action, DeployRequest, PlannedStep

POLICY_NAME = "letrade-least-privilege"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def role_name(function_name: str) -> str:
    """IAM role names are at most 64 characters."""
    return f"{function_name}-role"[:64]


_DELIVERY = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction",
             "events": "events:PutEvents"}  # fmt: skip


def role_policy(
    function_name: str,
    environment: dict[str, str],
    *,
    region: str,
    account: str,
    destinations: tuple[str | None, ...] = (),
) -> dict[str, Any]:
    """The inline policy document for the function's role."""
    group = f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{function_name}"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [group, f"{group}:*"],
        }
    ]
    bucket = environment.get("BUCKET", "")
    if bucket and not bucket.startswith(("ssm:", "env:", "secretsmanager:")):
        prefix = environment.get("PREFIX", "").strip("/")
        objects = f"arn:aws:s3:::{bucket}/{prefix}/*" if prefix else f"arn:aws:s3:::{bucket}/*"
        statements.append(
            {
                "Sid": "DataPrefix",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": objects,
            }
        )
        listing: dict[str, Any] = {
            "Sid": "ListDataPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{bucket}",
        }
        if prefix:
            listing["Condition"] = {"StringLike": {"s3:prefix": [f"{prefix}/*"]}}
        statements.append(listing)
    collector = environment.get("COLLECTOR_FUNCTION", "")
    if collector:
        arn = f"arn:aws:lambda:{region}:{account}:function:{collector}"
        statements.append(
            {
                "Sid": "InvokeCollector",
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": [arn, f"{arn}:*"],
            }
        )
    statements += _secret_statements(environment, region=region, account=account)
    for sid, target in zip(("OnFailure", "DeadLetter"), destinations, strict=False):
        service = target.split(":")[2] if target and target.count(":") >= 5 else ""
        if target and service in _DELIVERY:
            statements.append(
                {"Sid": sid, "Effect": "Allow", "Action": _DELIVERY[service], "Resource": target}
            )
    return {"Version": "2012-10-17", "Statement": statements}


def _secret_statements(
    environment: dict[str, str], *, region: str, account: str
) -> list[dict[str, Any]]:
    """Read access to exactly the parameters and secrets the environment names."""
    parameters, secrets = [], []
    for value in sorted(run_time_references(environment).values()):
        if value.startswith("ssm:"):
            parameters.append(f"arn:aws:ssm:{region}:{account}:parameter/{value[4:].lstrip('/')}")
        else:
            name = value.removeprefix("secretsmanager:")
            # a name's ARN ends in -XXXXXX (six random characters AWS adds)
            arn = (
                name
                if name.startswith("arn:")
                else (f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-??????")
            )
            secrets.append(arn)
    wanted = (("ReadParameters", "ssm:GetParameter", parameters),
              ("ReadSecrets", "secretsmanager:GetSecretValue", secrets))  # fmt: skip
    return [
        {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": arns}
        for sid, action, arns in wanted
        if arns
    ]


def plan_role(clients: AwsClients, request: DeployRequest) -> tuple[list[PlannedStep], str]:
    """The role and role-policy steps, and the role ARN the function will use."""
    iam = clients.client("iam")
    name = role_name(request.function_name)
    account = str(clients.client("sts").get_caller_identity()["Account"])
    existing = _get_role(iam, name)
    arn = str(existing["Arn"]) if existing else f"arn:aws:iam::{account}:role/{name}"
    document = role_policy(
        request.function_name,
        request.spec.environment,
        region=clients.region,
        account=account,
        destinations=(request.spec.on_failure, request.spec.dead_letter_arn),
    )
    steps: list[PlannedStep] = []
    if existing is None:
        steps.append(
            PlannedStep(
                Action("role", "create", f"create {name} (trusted by lambda.amazonaws.com)"),
                lambda: _create_role(iam, name),
            )
        )
    else:
        steps.append(PlannedStep(Action("role", "skip", f"{name} exists")))
    current = _get_policy(iam, name) if existing else None
    if current == document:
        steps.append(PlannedStep(Action("role-policy", "skip", f"{POLICY_NAME} unchanged")))
    else:
        change = "create" if current is None else "update"
        sids = ", ".join(s["Sid"] for s in document["Statement"])
        steps.append(
            PlannedStep(
                Action("role-policy", change, f"{POLICY_NAME}: {sids}"),
                lambda: iam.put_role_policy(
                    RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(document)
                ),
            )
        )
    return steps, arn


def _create_role(iam: Any, name: str) -> None:
    iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(TRUST),
        Description="letrade: Lambda execution role (least privilege)",
        Tags=[{"Key": "managed-by", "Value": "letrade"}],
    )


def _get_role(iam: Any, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        role: dict[str, Any] = iam.get_role(RoleName=name)["Role"]
    except ClientError as exc:
        if error_code(exc) in ("NoSuchEntity", "NoSuchEntityException"):
            return None
        raise
    return role


def _get_policy(iam: Any, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        document = iam.get_role_policy(RoleName=name, PolicyName=POLICY_NAME)["PolicyDocument"]
    except ClientError as exc:
        if error_code(exc) in ("NoSuchEntity", "NoSuchEntityException"):
            return None
        raise
    if isinstance(document, str):  # URL-encoded JSON in the raw API
        parsed: dict[str, Any] = json.loads(unquote(document))
        return parsed
    return dict(document)
