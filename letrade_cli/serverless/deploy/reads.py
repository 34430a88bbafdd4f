"""Read-only AWS look-ups shared by deploy, plan, rollback and destroy (Get/List/Describe only)."""

from __future__ import annotations

import json
from typing import Any

from letrade_cli.serverless.aws import error_code

WAITER_CONFIG = {"Delay": 2, "MaxAttempts": 150}


def _not_found(exc: BaseException) -> bool:
    return error_code(exc) in ("ResourceNotFoundException", "NoSuchEntity", "NoSuchEntityException")


def read_function(lam: Any, name: str, *, wait: bool = False) -> dict[str, Any] | None:
    """The function's configuration, or None; ``wait`` waits out a pending create/update."""
    from botocore.exceptions import ClientError

    try:
        config: dict[str, Any] = lam.get_function(FunctionName=name)["Configuration"]
    except ClientError as exc:
        if _not_found(exc):
            return None
        raise
    if wait and config.get("State") == "Pending":
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAITER_CONFIG)
    elif wait and config.get("LastUpdateStatus") == "InProgress":
        lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=WAITER_CONFIG)
    return config


def list_versions(lam: Any, name: str) -> list[dict[str, Any]]:
    """Published versions (not ``$LATEST``), oldest first; empty when the function is missing."""
    from botocore.exceptions import ClientError

    versions: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"FunctionName": name}
    try:
        while True:
            page = lam.list_versions_by_function(**kwargs)
            versions += [v for v in page.get("Versions", []) if v.get("Version") != "$LATEST"]
            if not page.get("NextMarker"):
                break
            kwargs["Marker"] = page["NextMarker"]
    except ClientError as exc:
        if _not_found(exc):
            return []
        raise
    return sorted(versions, key=lambda v: int(v["Version"]))


def latest_version(lam: Any, name: str) -> dict[str, Any] | None:
    """The newest published version, or None."""
    versions = list_versions(lam, name)
    return versions[-1] if versions else None


def get_alias(lam: Any, name: str, alias: str) -> dict[str, Any] | None:
    """The alias, or None when it does not exist."""
    from botocore.exceptions import ClientError

    try:
        found: dict[str, Any] = lam.get_alias(FunctionName=name, Name=alias)
    except ClientError as exc:
        if _not_found(exc):
            return None
        raise
    return found


def list_aliases(lam: Any, name: str) -> list[dict[str, Any]]:
    """Every alias of the function (empty when it is missing)."""
    from botocore.exceptions import ClientError

    try:
        aliases: list[dict[str, Any]] = lam.list_aliases(FunctionName=name).get("Aliases", [])
    except ClientError as exc:
        if _not_found(exc):
            return []
        raise
    return aliases


def policy_statements(lam: Any, name: str, qualifier: str | None) -> list[dict[str, Any]]:
    """The function's (or alias's) resource policy statements; empty when it has none."""
    from botocore.exceptions import ClientError

    kwargs: dict[str, Any] = {"FunctionName": name}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    try:
        policy = lam.get_policy(**kwargs)["Policy"]
    except ClientError as exc:
        if _not_found(exc):
            return []
        raise
    statements: list[dict[str, Any]] = json.loads(policy).get("Statement", [])
    return statements


def describe_rule(events: Any, name: str) -> dict[str, Any] | None:
    """An EventBridge rule, or None."""
    from botocore.exceptions import ClientError

    try:
        rule: dict[str, Any] = events.describe_rule(Name=name)
    except ClientError as exc:
        if _not_found(exc):
            return None
        raise
    return rule
