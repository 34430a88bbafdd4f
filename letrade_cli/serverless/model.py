"""The request and result types of the serverless commands, in one place.

Deploy: ``DeployRequest`` -> ``DeployResult`` (a list of ``Action`` step records; a ``--plan``
produces the same records from read-only calls). Layers: ``LayerRequest`` -> ``LayerBuild``,
``PublishedLayer``. Packaging: ``PackageResult`` with its ``LayerSource`` list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from letrade_cli.serverless.environment import ResolvedEnvironment
from letrade_cli.serverless.profile import FunctionSpec

MAX_ZIPPED_BYTES = 50 * 1024 * 1024  # direct upload limit of PublishLayerVersion / CreateFunction
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024  # function + all its layers, unzipped


@dataclass(slots=True)
class DeployRequest:
    """What to deploy, resolved from the profile and the command line."""

    spec: FunctionSpec
    function_name: str
    zip_path: Path
    role_arn: str | None = None
    layer_names: dict[str, str] = field(default_factory=dict)
    plan: bool = False
    publish: bool = False
    alias: str | None = None
    create_role: bool = False
    artifact_bucket: str | None = None
    layer_overrides: dict[str, str] = field(default_factory=dict)  # ref -> ARN a plan predicts
    on_environment: Callable[[ResolvedEnvironment], None] | None = None


@dataclass(slots=True)
class Action:
    """One thing a step did (or, in a plan, would do)."""

    step: str
    change: str  # create | update | publish | skip | ...
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"step": self.step, "change": self.change, "detail": self.detail}

    def key(self) -> tuple[str, str]:
        """``(step, change)``: what a plan and its run must agree on."""
        return (self.step, self.change)


@dataclass(slots=True)
class PlannedStep:
    """An action decided from reads, and the write that carries it out (None: nothing to do)."""

    action: Action
    apply: Callable[[], None] | None = None


@dataclass
class DeployResult:
    """What the deploy did; safe to print (secrets masked)."""

    function_name: str
    plan: bool
    code_sha256: str
    actions: list[Action] = field(default_factory=list)
    function_arn: str | None = None
    version: str | None = None
    alias_arn: str | None = None
    rule_arn: str | None = None
    layers: list[str] = field(default_factory=list)
    environment: ResolvedEnvironment = field(default_factory=ResolvedEnvironment)
    role_arn: str | None = None

    def add(self, step: str, change: str, detail: str = "") -> None:
        """Record an action."""
        self.actions.append(Action(step, change, detail))

    def changed(self) -> list[Action]:
        """Actions that write (or would write) something."""
        return [a for a in self.actions if a.change != "skip"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, environment masked."""
        return {
            "function_name": self.function_name,
            "plan": self.plan,
            "code_sha256": self.code_sha256,
            "function_arn": self.function_arn,
            "version": self.version,
            "alias_arn": self.alias_arn,
            "rule_arn": self.rule_arn,
            "role_arn": self.role_arn,
            "layers": self.layers,
            "environment": self.environment.masked(),
            "actions": [a.to_dict() for a in self.actions],
        }


@dataclass(slots=True)
class LayerRequest:
    """What to build."""

    name: str
    requirements: list[str]
    runtime: str = "python3.12"
    arch: str = "x86_64"
    out_dir: Path = Path("build/layers")
    find_links: list[Path] = field(default_factory=list)
    no_index: bool = False
    use_cache: bool = True
    max_zipped_bytes: int = MAX_ZIPPED_BYTES
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES


@dataclass(slots=True)
class LayerBuild:
    """What was built: the zip, its digest and sizes per package."""

    name: str
    runtime: str
    arch: str
    platform_tags: list[str]
    cache_key: str
    zip_path: Path
    sha256_hex: str = ""
    zipped_bytes: int = 0
    unzipped_bytes: int = 0
    packages: list[PackageSize] = field(default_factory=list)
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "runtime": self.runtime,
            "arch": self.arch,
            "platform_tags": self.platform_tags,
            "cache_key": self.cache_key,
            "cached": self.cached,
            "zip_path": str(self.zip_path),
            "sha256": self.sha256_hex,
            "zipped_bytes": self.zipped_bytes,
            "unzipped_bytes": self.unzipped_bytes,
            "packages": [p.to_dict() for p in self.packages],
        }


@dataclass(slots=True)
class PackageSize:
    """Size of one installed distribution inside the layer."""

    name: str
    version: str
    files: int
    unzipped_bytes: int
    zipped_bytes: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass(slots=True)
class PublishedLayer:
    """A layer version in AWS."""

    layer_name: str
    version_arn: str
    version: int
    published: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "layer_name": self.layer_name,
            "version_arn": self.version_arn,
            "version": self.version,
            "published": self.published,
        }


@dataclass(slots=True)
class LayerSource:
    """Where a layer's module names came from: a built artifact or its requirement names."""

    name: str
    path: Path | None
    modules: set[str]

    @property
    def origin(self) -> str:
        """The artifact path, or a note that names were guessed from requirements."""
        return str(self.path) if self.path else "requirements (layer not built)"


@dataclass(slots=True)
class PackageResult:
    """A packaged function: the zip, its digests, its size against the budget, its imports."""

    function: str
    handler: str
    runtime: str
    zip_path: Path
    sha256_hex: str
    code_sha256: str
    size_bytes: int
    budget_bytes: int
    files: list[str]
    imports: dict[str, list[str]] = field(default_factory=dict)
    optional_missing: list[str] = field(default_factory=list)
    layers: list[LayerSource] = field(default_factory=list)
    stdlib_from: str = ""
    warnings: list[str] = field(default_factory=list)
    unused_layers: list[str] = field(default_factory=list)  # attached in the profile, not imported

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "function": self.function,
            "unused_layers": self.unused_layers,
            "handler": self.handler,
            "runtime": self.runtime,
            "zip": str(self.zip_path),
            "sha256": self.sha256_hex,
            "code_sha256": self.code_sha256,
            "size_bytes": self.size_bytes,
            "budget_bytes": self.budget_bytes,
            "files": self.files,
            "imports": self.imports,
            "optional_missing": self.optional_missing,
            "layers": {layer.name: layer.origin for layer in self.layers},
            "stdlib_from": self.stdlib_from,
            "warnings": self.warnings,
        }
