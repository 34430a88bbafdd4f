"""``lambda-deploy --all``: which layers to publish first, and the functions in dependency order.

A function depends on another when one of its environment values names that function (the
orchestrator's ``COLLECTOR_FUNCTION: letrade-data-collector``): the dependency is deployed first.
Ties keep the profile's order. A cycle is a ConfigError naming the functions in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from letrade_cli.core.errors import ConfigError
from letrade_cli.serverless.artifact import find_layer_artifact
from letrade_cli.serverless.profile import LambdaProfile


@dataclass(slots=True, frozen=True)
class LayerJob:
    """One profile layer for one runtime and architecture some function uses."""

    name: str
    aws_name: str
    runtime: str
    arch: str
    zip_path: Path | None


def layer_jobs(profile: LambdaProfile) -> list[LayerJob]:
    """Every (layer, runtime, arch) the profile's functions need, with its built zip if any."""
    seen: dict[tuple[str, str, str], LayerJob] = {}
    for spec in profile.functions.values():
        for ref in spec.layers:
            if ref.startswith("arn:"):
                continue
            key = (ref, spec.runtime, spec.architecture)
            if key not in seen:
                built = find_layer_artifact(profile, ref, spec.runtime, spec.architecture)
                zip_path = built if built is not None and built.is_file() else None
                seen[key] = LayerJob(ref, profile.aws_name(ref), *key[1:], zip_path)
    return list(seen.values())


def deploy_order(profile: LambdaProfile) -> list[str]:
    """Function names, each after the functions its environment refers to."""
    names = list(profile.functions)
    by_aws = {profile.aws_name(n): n for n in names}
    deps: dict[str, set[str]] = {}
    for name in names:
        values = profile.functions[name].environment.values()
        deps[name] = {by_aws[v] for v in values if v in by_aws and by_aws[v] != name}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and deps[n] <= set(ordered)]
        if not ready:
            cycle = sorted(n for n in names if n not in ordered)
            raise ConfigError(f"functions refer to each other in a cycle: {', '.join(cycle)}")
        ordered.append(ready[0])
    return ordered
