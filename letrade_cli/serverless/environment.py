"""A function's environment for deploy and local invoke, and masking of secrets we print.

A value may be a reference::

    env:NAME            the deployer's environment variable NAME, resolved here (a literal
                        in the function's configuration: for settings, not for secrets)
    ssm:/path/to/param  SSM Parameter Store (a SecureString for a secret)
    secretsmanager:ID   Secrets Manager's SecretString for ID

``ssm:`` and ``secretsmanager:`` references are **never resolved here**: deploy checks that the
parameter or secret exists (without reading its value) and writes the reference itself into the
function's environment; the function reads the value at run time, once per cold start
(``functions/scanner.py``: ``resolved_environment``), through its role, which ``--create-role``
allows exactly those parameters. So ``GetFunctionConfiguration`` shows a name, never a secret.

A key is secret by ``secrets.is_secret`` (its name or its value's shape); secret values print as
``****``. ``Redactor`` is the last line of defence: it replaces any known secret value found in
a text before the CLI prints it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from letrade_cli.core.errors import ConfigError
from letrade_cli.serverless.aws import error_code
from letrade_cli.serverless.secrets import is_reference, is_secret

MASK = "****"
MIN_REDACT_LENGTH = 4


@dataclass(slots=True)
class ResolvedEnvironment:
    """Environment values ready for AWS, and which keys must never be shown."""

    values: dict[str, str] = field(default_factory=dict)
    secret_keys: frozenset[str] = frozenset()

    def masked(self) -> dict[str, str]:
        """The values with every secret replaced by ``****``."""
        return mask_mapping(self.values, self.secret_keys)

    def redactor(self) -> Redactor:
        """A Redactor that knows this environment's secret values."""
        return Redactor(frozenset(self.values[k] for k in self.secret_keys if k in self.values))


@dataclass(frozen=True, slots=True)
class Redactor:
    """Replaces known secret values in free text."""

    secrets: frozenset[str] = frozenset()

    def __call__(self, text: str) -> str:
        """``text`` with every known secret value masked."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            if len(secret) >= MIN_REDACT_LENGTH:
                text = text.replace(secret, MASK)
        return text


def is_secret_key(name: str, value: str | None = None) -> bool:
    """True when a variable holds a secret, by its name or its value's shape (one rule)."""
    return is_secret(name, value)


def mask_mapping(values: Mapping[str, str], secret_keys: frozenset[str]) -> dict[str, str]:
    """A copy of ``values`` with secret keys (by set or by name) masked."""
    return {k: MASK if k in secret_keys or is_secret_key(k, v) else v for k, v in values.items()}


def resolve_environment(
    environment: Mapping[str, str],
    client_for: Callable[[str], Any],
    environ: Mapping[str, str] | None = None,
) -> ResolvedEnvironment:
    """Resolve every reference in ``environment``.

    Args:
        environment: the profile's mapping (literals and references).
        client_for: returns a boto3 client for ``ssm`` / ``secretsmanager`` (called lazily).
        environ: the deployer's environment for ``env:`` references (default ``os.environ``).
    """
    environ = os.environ if environ is None else environ
    values: dict[str, str] = {}
    secret: set[str] = set()
    for key, raw in environment.items():
        if raw.startswith("env:"):
            name = raw.removeprefix("env:")
            if name not in environ:
                raise ConfigError(
                    f"environment.{key} references env:{name}, which is not set",
                    hint=f"export {name}=... first",
                )
            values[key] = environ[name]
        elif raw.startswith("ssm:"):
            _check_parameter(client_for, key, raw.removeprefix("ssm:"))
            values[key] = raw  # the name: the function reads the value at run time
        elif raw.startswith("secretsmanager:"):
            _check_secret(client_for, key, raw.removeprefix("secretsmanager:"))
            values[key] = raw
        else:
            values[key] = raw
        if not is_reference(values[key]) and is_secret_key(key, values[key]):
            secret.add(key)
    return ResolvedEnvironment(values, frozenset(secret))


def run_time_references(environment: Mapping[str, str]) -> dict[str, str]:
    """``{key: reference}`` for the values the function resolves itself (ssm:, secretsmanager:)."""
    return {
        key: value
        for key, value in environment.items()
        if value.startswith(("ssm:", "secretsmanager:")) and is_reference(value)
    }


def _check_parameter(client_for: Callable[[str], Any], key: str, path: str) -> None:
    """The parameter exists (DescribeParameters: its value is never read at deploy)."""
    found = client_for("ssm").describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [path]}]
    )
    if not found.get("Parameters"):
        raise ConfigError(
            f"environment.{key}: cannot read ssm:{path}: ParameterNotFound",
            hint="create it with `aws ssm put-parameter --type SecureString`",
        )


def _check_secret(client_for: Callable[[str], Any], key: str, secret_id: str) -> None:
    """The secret exists (DescribeSecret: its value is never read at deploy)."""
    from botocore.exceptions import ClientError

    try:
        client_for("secretsmanager").describe_secret(SecretId=secret_id)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise ConfigError(
                f"environment.{key}: cannot read secretsmanager:{secret_id}: "
                "ResourceNotFoundException",
                hint="create it with `aws secretsmanager create-secret`",
            ) from exc
        raise
