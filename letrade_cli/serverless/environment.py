"""Resolve a function's environment (deploy and local invoke), and mask secrets we print.

A value may be a reference, resolved here and never written back into any output::

    env:NAME            the deployer's environment variable NAME
    ssm:/path/to/param  SSM Parameter Store, decrypted (GetParameter WithDecryption)
    secretsmanager:ID   Secrets Manager's SecretString for ID

A key is secret by ``secrets.is_secret`` (its name or its value's shape) or when its value came
from SSM or Secrets Manager; secret values print as ``****``. ``Redactor`` is the last line of
defence: it replaces any resolved secret value found in a text before the CLI prints it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from letrade_cli.core.errors import ConfigError
from letrade_cli.serverless.aws import error_code
from letrade_cli.serverless.secrets import is_secret

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
            values[key] = _ssm(client_for, key, raw.removeprefix("ssm:"))
            secret.add(key)
        elif raw.startswith("secretsmanager:"):
            values[key] = _secretsmanager(client_for, key, raw.removeprefix("secretsmanager:"))
            secret.add(key)
        else:
            values[key] = raw
        if is_secret_key(key, values[key]):
            secret.add(key)
    return ResolvedEnvironment(values, frozenset(secret))


def _ssm(client_for: Callable[[str], Any], key: str, path: str) -> str:
    from botocore.exceptions import ClientError

    try:
        response = client_for("ssm").get_parameter(Name=path, WithDecryption=True)
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            raise ConfigError(
                f"environment.{key}: cannot read ssm:{path}: ParameterNotFound",
                hint="create it with `aws ssm put-parameter --type SecureString`",
            ) from exc
        raise
    return str(response["Parameter"]["Value"])


def _secretsmanager(client_for: Callable[[str], Any], key: str, secret_id: str) -> str:
    from botocore.exceptions import ClientError

    try:
        response = client_for("secretsmanager").get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise ConfigError(
                f"environment.{key}: cannot read secretsmanager:{secret_id}: "
                "ResourceNotFoundException"
            ) from exc
        raise
    if "SecretString" not in response:
        raise ConfigError(f"environment.{key}: secret {secret_id} is binary; use a string")
    return str(response["SecretString"])
