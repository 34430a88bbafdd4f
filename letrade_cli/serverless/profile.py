"""`profiles/lambda.yaml`: the functions and layers we deploy, typed and checked.

Secrets are never written in the file. An environment value that is secret by its name
(``VENUE_KEY``, ``DB_PASS``) or by its shape (``Bearer …``, a webhook URL with a token; see
``secrets.py``) must be a reference: ``ssm:/path``, ``secretsmanager:name`` or ``env:VARIABLE``
(read from the deployer's environment at deploy time). A literal is refused with
``SecretInProfileError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from letrade_cli.config.loader import find_profile, from_mapping, load_yaml_mapping
from letrade_cli.core.errors import ConfigError, SecretInProfileError
from letrade_cli.serverless.secrets import REFERENCE, is_secret

Architecture = Literal["x86_64", "arm64"]
RUNTIMES = ("python3.10", "python3.11", "python3.12", "python3.13")
SECRET_REFERENCE = REFERENCE
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)
BUILTIN_FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
SCHEDULE = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")


def aws_name(prefix: str, name: str) -> str:
    """The AWS name of a function or layer: ``prefix`` + ``name``, the prefix never doubled.

    With prefix ``letrade-``, both ``data-collector`` and ``letrade-data-collector`` give
    ``letrade-data-collector``.
    """
    return name if name.startswith(prefix) else f"{prefix}{name}"


@dataclass(slots=True)
class LayerSpec:
    """A dependency layer built from wheels for Lambda's platform."""

    requirements: list[str] = field(default_factory=list)
    requirements_file: str | None = None
    runtimes: list[str] = field(default_factory=lambda: ["python3.12"])
    architectures: list[Architecture] = field(default_factory=lambda: ["x86_64"])
    description: str = ""


@dataclass(slots=True)
class FunctionSpec:
    """One Lambda function: its source, runtime settings and schedule."""

    source: str
    handler: str
    runtime: str = "python3.12"
    architecture: Architecture = "x86_64"
    memory: int = 256
    timeout: int = 60
    environment: dict[str, str] = field(default_factory=dict)
    layers: list[str] = field(default_factory=list)
    role_arn: str | None = None
    schedule: str | None = None
    description: str = ""
    package_budget_bytes: int | None = None
    reserved_concurrency: int | None = None
    on_failure: str | None = None
    dead_letter_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    log_retention_days: int | None = None


@dataclass(slots=True)
class LambdaDefaults:
    """Values every function inherits unless it sets its own."""

    region: str = "us-east-1"
    role_arn: str | None = None
    name_prefix: str = "letrade-"
    artifact_bucket: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class LambdaProfile:
    """The whole file: defaults, layers by name, functions by name."""

    defaults: LambdaDefaults = field(default_factory=LambdaDefaults)
    layers: dict[str, LayerSpec] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    description: str = ""
    path: str = ""

    def function(self, name: str) -> FunctionSpec:
        """A function by name, or a ConfigError listing the names this profile has."""
        try:
            return self.functions[name]
        except KeyError:
            raise ConfigError(
                f"{self.path}: no function named '{name}'",
                hint=f"functions in this profile: {', '.join(sorted(self.functions)) or 'none'}",
            ) from None

    def layer(self, name: str) -> LayerSpec:
        """A layer by name, or a ConfigError listing the names this profile has."""
        try:
            return self.layers[name]
        except KeyError:
            raise ConfigError(
                f"{self.path}: no layer named '{name}'",
                hint=f"layers in this profile: {', '.join(sorted(self.layers)) or 'none'}",
            ) from None

    def aws_name(self, name: str) -> str:
        """The AWS name of a profile function or layer (``defaults.name_prefix`` + ``name``)."""
        return aws_name(self.defaults.name_prefix, name)

    @property
    def base_dir(self) -> Path:
        """Relative paths in the profile (sources, requirement files) resolve against this."""
        return Path(self.path).parent


def load_lambda_profile(name_or_path: str = "lambda") -> LambdaProfile:
    """Find, parse and validate a Lambda profile."""
    path = find_profile(name_or_path)
    data = load_yaml_mapping(path)
    data.pop("path", None)
    profile = from_mapping(LambdaProfile, data, source=str(path))
    profile.path = str(path)
    for spec in profile.functions.values():
        spec.source = str(resolve_source(profile.base_dir, spec.source))
    validate_lambda_profile(profile)
    return profile


def resolve_source(base_dir: Path, source: str) -> Path:
    """A function's ``source:``: a path relative to the profile file, or a built-in function.

    ``data-collector``, ``data_collector`` or ``data_collector.py`` name the packaged source of a
    function Letrade ships (``letrade_cli/functions/``) unless a file of that name sits next to
    the profile, so a copied profile (``letrade profiles init lambda``) still finds them.
    """
    path = Path(source).expanduser()
    if path.is_absolute():
        return path
    local = base_dir / path
    if local.exists() or len(path.parts) != 1:
        return local
    module = path.name.removesuffix(".py").replace("-", "_")
    builtin = BUILTIN_FUNCTIONS_DIR / f"{module}.py"
    if module != "__init__" and builtin.is_file():
        return builtin
    return local


def validate_lambda_profile(profile: LambdaProfile) -> None:
    """Cross-field rules: runtimes, schedules, layer references, and no literal secrets."""
    src = profile.path
    for name, layer in profile.layers.items():
        for runtime in layer.runtimes:
            _check_runtime(runtime, f"{src}: layers.{name}.runtimes")
        if not layer.requirements and not layer.requirements_file:
            raise ConfigError(
                f"{src}: layers.{name}: no requirements",
                hint="set requirements: [pkg==1.0, ...] or requirements_file: path",
            )
    for name, fn in profile.functions.items():
        key = f"{src}: functions.{name}"
        _check_runtime(fn.runtime, f"{key}.runtime")
        if "." not in fn.handler:
            raise ConfigError(
                f"{key}.handler: '{fn.handler}' must be module.function",
                hint="e.g. data_collector.handler",
            )
        if not 128 <= fn.memory <= 10240:
            raise ConfigError(f"{key}.memory: {fn.memory} MB is outside Lambda's 128..10240")
        if not 1 <= fn.timeout <= 900:
            raise ConfigError(f"{key}.timeout: {fn.timeout} s is outside Lambda's 1..900")
        if fn.schedule is not None and not SCHEDULE.match(fn.schedule):
            raise ConfigError(
                f"{key}.schedule: '{fn.schedule}' is not an EventBridge expression",
                hint="use rate(5 minutes) or cron(0/5 * * * ? *)",
            )
        for layer_ref in fn.layers:
            if not layer_ref.startswith("arn:") and layer_ref not in profile.layers:
                raise ConfigError(
                    f"{key}.layers: '{layer_ref}' is neither a layer in this file nor an ARN"
                )
        if fn.reserved_concurrency is not None and fn.reserved_concurrency < 0:
            raise ConfigError(f"{key}.reserved_concurrency: must be 0 or more")
        if fn.log_retention_days is not None and fn.log_retention_days not in LOG_RETENTION_DAYS:
            raise ConfigError(
                f"{key}.log_retention_days: {fn.log_retention_days} is not a CloudWatch value",
                hint=f"use one of: {', '.join(map(str, LOG_RETENTION_DAYS))}",
            )
        for arn_key in ("on_failure", "dead_letter_arn"):
            arn = getattr(fn, arn_key)
            if arn is not None and not arn.startswith("arn:"):
                raise ConfigError(f"{key}.{arn_key}: '{arn}' is not an ARN (SQS, SNS, ...)")
        for env_name, value in fn.environment.items():
            if is_secret(env_name, value) and not REFERENCE.match(value):
                # Never echo the value: it may be the secret itself.
                raise SecretInProfileError(
                    f"{key}.environment.{env_name}: a literal secret is not allowed in a profile",
                    hint="reference it instead: ssm:/path, secretsmanager:name or env:VARIABLE",
                )


def _check_runtime(runtime: str, where: str) -> None:
    if runtime not in RUNTIMES:
        raise ConfigError(
            f"{where}: unsupported runtime '{runtime}'", hint=f"use one of: {', '.join(RUNTIMES)}"
        )
