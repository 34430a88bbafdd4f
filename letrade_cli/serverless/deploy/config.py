"""The function configuration we want, and how it differs from what AWS has.

Only the fields the profile controls are compared; values of secret keys never appear in a
difference's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from letrade_cli.serverless.environment import MASK, ResolvedEnvironment, is_secret_key


@dataclass(slots=True)
class DesiredConfig:
    """The configuration fields ``update_function_configuration`` accepts, from the profile."""

    handler: str
    runtime: str
    memory: int
    timeout: int
    description: str
    environment: ResolvedEnvironment
    layers: list[str]
    role: str | None
    dead_letter_arn: str | None = None

    def api_fields(self) -> dict[str, Any]:
        """Keyword arguments for create/update calls (secrets included: AWS only)."""
        fields: dict[str, Any] = {
            "Handler": self.handler,
            "Runtime": self.runtime,
            "MemorySize": self.memory,
            "Timeout": self.timeout,
            "Description": self.description,
            "Environment": {"Variables": dict(self.environment.values)},
            "Layers": list(self.layers),
        }
        if self.role:
            fields["Role"] = self.role
        if self.dead_letter_arn:
            fields["DeadLetterConfig"] = {"TargetArn": self.dead_letter_arn}
        return fields


def current_fields(config: dict[str, Any]) -> dict[str, Any]:
    """The same fields as ``DesiredConfig.api_fields`` from a GetFunctionConfiguration answer."""
    return {
        "Handler": config.get("Handler"),
        "Runtime": config.get("Runtime"),
        "MemorySize": config.get("MemorySize"),
        "Timeout": config.get("Timeout"),
        "Description": config.get("Description", ""),
        "Environment": {"Variables": dict(config.get("Environment", {}).get("Variables", {}))},
        "Layers": [layer["Arn"] for layer in config.get("Layers", [])],
        "Role": config.get("Role"),
        "DeadLetterConfig": {"TargetArn": config.get("DeadLetterConfig", {}).get("TargetArn")},
    }


def config_changes(desired: DesiredConfig, config: dict[str, Any]) -> dict[str, Any]:
    """The fields whose desired value differs from AWS's (empty: nothing to update)."""
    want = desired.api_fields()
    have = current_fields(config)
    return {key: value for key, value in want.items() if have.get(key) != value}


def describe_changes(
    changes: dict[str, Any], config: dict[str, Any] | None, secret_keys: frozenset[str]
) -> list[str]:
    """Human lines for a change set, secrets masked: ``MemorySize: 256 -> 512``."""
    have = current_fields(config or {})
    lines: list[str] = []
    for key, value in changes.items():
        if key == "Environment":
            lines.extend(
                _env_lines(have["Environment"]["Variables"], value["Variables"], secret_keys)
            )
        else:
            lines.append(f"{key}: {have.get(key)!r} -> {value!r}")
    return lines


def _env_lines(old: dict[str, str], new: dict[str, str], secret_keys: frozenset[str]) -> list[str]:
    def show(key: str, value: str) -> str:
        return MASK if key in secret_keys or is_secret_key(key, value) else repr(value)

    lines = [f"Environment.{k}: added = {show(k, new[k])}" for k in sorted(new.keys() - old)]
    lines += [f"Environment.{k}: removed" for k in sorted(old.keys() - new)]
    lines += [
        f"Environment.{k}: {show(k, old[k])} -> {show(k, new[k])}"
        for k in sorted(old.keys() & new.keys())
        if old[k] != new[k]
    ]
    return lines
