"""``lambda-rollback``: point an alias at the previous (or a given) published version.

Decided from reads (GetAlias, ListVersionsByFunction) like a deploy, so ``--plan`` shows the same
step the run performs; the only write is UpdateAlias.
"""

from __future__ import annotations

from typing import Any

from letrade_cli.core.errors import ConfigError
from letrade_cli.serverless.deploy.reads import get_alias, list_versions, read_function
from letrade_cli.serverless.model import Action, PlannedStep


def plan_rollback(lam: Any, function_name: str, alias: str, to: str | None) -> PlannedStep:
    """The alias step: move ``alias`` to ``to`` or to the version before its current one."""
    if read_function(lam, function_name) is None:
        raise ConfigError(f"function {function_name} does not exist", hint="deploy it first")
    current = get_alias(lam, function_name, alias)
    if current is None:
        raise ConfigError(
            f"{function_name} has no alias '{alias}'",
            hint="create it with lambda-deploy --publish --alias NAME",
        )
    versions = [str(v["Version"]) for v in list_versions(lam, function_name)]
    now = str(current["FunctionVersion"])
    if to is not None:
        if to not in versions:
            raise ConfigError(
                f"{function_name} has no published version {to}",
                hint=f"published versions: {', '.join(versions) or 'none'}",
            )
        target = to
    else:
        earlier = [v for v in versions if now.isdigit() and int(v) < int(now)]
        if not earlier:
            raise ConfigError(
                f"{alias} is at version {now}; there is no earlier version to roll back to",
                hint=f"published versions: {', '.join(versions) or 'none'}",
            )
        target = earlier[-1]
    if target == now:
        return PlannedStep(Action("alias", "skip", f"{alias} already at {now}"))

    def apply() -> None:
        lam.update_alias(FunctionName=function_name, Name=alias, FunctionVersion=target)

    return PlannedStep(Action("alias", "update", f"move {alias} {now} -> {target}"), apply)
