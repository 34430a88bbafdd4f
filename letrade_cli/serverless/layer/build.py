"""Build a Lambda layer zip as an ordered list of named steps, with a content-keyed cache.

Steps: ``requirements`` -> ``cache-lookup`` -> ``pip-install`` -> ``strip`` -> ``zip`` ->
``check-limits`` -> ``cache-store`` -> ``copy-out``. On a cache hit the three middle steps are
skipped. The cache key is sha256(normalised requirements + runtime + arch + platform tags); the
cache lives under ``$LETRADE_CACHE_DIR/layers`` (default ``~/.cache/letrade/layers``). The zip is
deterministic (see ``zipper``), so two builds of the same wheels give the same SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from letrade_cli.core.errors import ConfigError, UsageError
from letrade_cli.serverless.layer.files import package_sizes, strip_tree, tree_entries
from letrade_cli.serverless.layer.pip import (
    PipRunner,
    SubprocessPip,
    pip_failure,
    pip_install_args,
    platform_tags,
)
from letrade_cli.serverless.model import (
    LayerBuild,
    LayerRequest,
    PackageSize,
)
from letrade_cli.serverless.steps import StepHandle, StepRunner
from letrade_cli.serverless.zipper import sha256_hex, write_deterministic_zip

CACHE_ENV = "LETRADE_CACHE_DIR"
CACHE_FORMAT = "letrade-layer-v1"


class LayerTooLargeError(UsageError):
    """The layer exceeds a Lambda size quota (exit 2: trim the requirements)."""


@dataclass
class _Work:
    """State passed from step to step."""

    request: LayerRequest
    pip: PipRunner
    build: LayerBuild
    cache_dir: Path
    scratch: Path
    requirements_file: Path = Path()
    site: Path = Path()
    built_zip: Path = Path()


def cache_root() -> Path:
    """``$LETRADE_CACHE_DIR/layers`` or ``~/.cache/letrade/layers``."""
    base = os.environ.get(CACHE_ENV)
    root = Path(base).expanduser() if base else Path.home() / ".cache" / "letrade"
    if root.exists() and not root.is_dir():
        raise ConfigError(
            f"{CACHE_ENV}={base} is a file, not a directory" if base else f"{root} is a file",
            hint=f"point {CACHE_ENV} at a directory (it is created if missing)",
        )
    return root / "layers"


def normalise_requirements(lines: list[str]) -> list[str]:
    """Requirement lines without comments and blanks, de-duplicated and sorted."""
    cleaned = {line.split(" #", 1)[0].strip() for line in lines}
    return sorted(line for line in cleaned if line and not line.startswith("#"))


def cache_key(requirements: list[str], runtime: str, arch: str, tags: list[str]) -> str:
    """sha256 over everything that decides which files end up in the layer."""
    text = "\n".join([CACHE_FORMAT, *requirements, runtime, arch, *tags])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_layer(
    request: LayerRequest, *, pip: PipRunner | None = None, runner: StepRunner | None = None
) -> LayerBuild:
    """Run every step in order and return the build; a failure names its step."""
    runner = runner or StepRunner()
    requirements = normalise_requirements(request.requirements)
    tags = platform_tags(request.runtime, request.arch)
    key = cache_key(requirements, request.runtime, request.arch, tags)
    zip_name = f"{request.name}-{request.runtime}-{request.arch}.zip"
    build = LayerBuild(
        request.name, request.runtime, request.arch, tags, key, request.out_dir / zip_name
    )
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="build-", dir=root) as scratch:
        work = _Work(request, pip or SubprocessPip(), build, root / key, Path(scratch))
        work.requirements_file = work.scratch / "requirements.txt"
        work.requirements_file.write_text("\n".join(requirements) + "\n", encoding="utf-8")
        for name, action in STEPS:
            with runner.step(name) as handle:
                action(work, handle)
    return build


def _requirements(work: _Work, handle: StepHandle) -> None:
    lines = [x for x in work.requirements_file.read_text(encoding="utf-8").splitlines() if x]
    if not lines:
        raise UsageError(f"layer '{work.request.name}' has no requirements")
    handle.detail = f"{len(lines)} requirement(s), {work.request.runtime} {work.request.arch}"


def _cache_lookup(work: _Work, handle: StepHandle) -> None:
    meta = work.cache_dir / "meta.json"
    if not work.request.use_cache:
        handle.skip("cache disabled")
        return
    if not (meta.is_file() and (work.cache_dir / "layer.zip").is_file()):
        handle.detail = f"miss {work.build.cache_key[:12]}"
        return
    data = json.loads(meta.read_text(encoding="utf-8"))
    work.built_zip = work.cache_dir / "layer.zip"
    if sha256_hex(work.built_zip) != data["sha256"]:
        handle.detail = "stale entry, rebuilding"
        return
    build = work.build
    build.cached = True
    build.sha256_hex = data["sha256"]
    build.zipped_bytes = work.built_zip.stat().st_size
    build.unzipped_bytes = data["unzipped_bytes"]
    build.packages = [PackageSize(**p) for p in data["packages"]]
    handle.detail = f"hit {build.cache_key[:12]}"


def _pip_install(work: _Work, handle: StepHandle) -> None:
    if work.build.cached:
        handle.skip("cached")
        return
    work.site = work.scratch / "layer" / "python"
    work.site.mkdir(parents=True)
    request = work.request
    args = pip_install_args(
        work.site,
        work.requirements_file,
        runtime=request.runtime,
        arch=request.arch,
        find_links=request.find_links,
        no_index=request.no_index,
        log_file=work.scratch / "pip.log",
    )
    result = work.pip(args)
    if result.returncode != 0:
        log_path = work.scratch / "pip.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        raise pip_failure(result.output, runtime=request.runtime, arch=request.arch, log=log)
    handle.detail = f"{sum(1 for _ in work.site.glob('*.dist-info'))} distribution(s)"


def _strip(work: _Work, handle: StepHandle) -> None:
    if work.build.cached:
        handle.skip("cached")
        return
    report = strip_tree(work.site)
    handle.detail = f"removed {report.files} file(s), {report.bytes:,} bytes"


def _zip(work: _Work, handle: StepHandle) -> None:
    if work.build.cached:
        handle.skip("cached")
        return
    build = work.build
    work.built_zip = work.scratch / "layer.zip"
    build.sha256_hex = write_deterministic_zip(tree_entries(work.site.parent), work.built_zip)
    build.zipped_bytes = work.built_zip.stat().st_size
    build.packages = package_sizes(work.site, work.built_zip)
    build.unzipped_bytes = sum(p.unzipped_bytes for p in build.packages)
    handle.detail = f"{build.zipped_bytes:,} bytes, sha256 {build.sha256_hex[:12]}"


def _check_limits(work: _Work, handle: StepHandle) -> None:
    build, request = work.build, work.request
    biggest = ", ".join(f"{p.name} {_mb(p.unzipped_bytes)}" for p in build.packages[:3])
    if build.unzipped_bytes > request.max_unzipped_bytes:
        raise LayerTooLargeError(
            f"layer '{build.name}' is {_mb(build.unzipped_bytes)} unzipped, over Lambda's "
            f"{_mb(request.max_unzipped_bytes)} limit (function + layers)",
            hint=f"largest: {biggest}; split the layer or drop packages",
        )
    handle.detail = f"{_mb(build.zipped_bytes)} zipped, {_mb(build.unzipped_bytes)} unzipped"
    if build.zipped_bytes > request.max_zipped_bytes:
        handle.detail += "; over the 50 MB direct upload: --publish goes through artifact_bucket"


def _cache_store(work: _Work, handle: StepHandle) -> None:
    if work.build.cached or not work.request.use_cache:
        handle.skip("cached" if work.build.cached else "cache disabled")
        return
    staging = Path(tempfile.mkdtemp(prefix="store-", dir=work.cache_dir.parent))
    shutil.copyfile(work.built_zip, staging / "layer.zip")
    meta = {
        "sha256": work.build.sha256_hex,
        "unzipped_bytes": work.build.unzipped_bytes,
        "packages": [p.to_dict() for p in work.build.packages],
    }
    (staging / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    if work.cache_dir.exists():
        shutil.rmtree(work.cache_dir)
    staging.rename(work.cache_dir)
    work.built_zip = work.cache_dir / "layer.zip"
    handle.detail = str(work.cache_dir)


def _copy_out(work: _Work, handle: StepHandle) -> None:
    from letrade_cli.core.files import atomic_path, write_failed

    target = work.build.zip_path
    try:
        with atomic_path(target) as temp:  # the previous layer.zip survives a full disk
            shutil.copyfile(work.built_zip, temp)
    except OSError as exc:
        raise write_failed(target, exc, "the layer") from exc
    handle.detail = str(target)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


STEPS: tuple[tuple[str, Callable[[_Work, StepHandle], None]], ...] = (
    ("requirements", _requirements),
    ("cache-lookup", _cache_lookup),
    ("pip-install", _pip_install),
    ("strip", _strip),
    ("zip", _zip),
    ("check-limits", _check_limits),
    ("cache-store", _cache_store),
    ("copy-out", _copy_out),
)
