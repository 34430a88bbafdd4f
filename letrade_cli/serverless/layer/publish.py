"""Publish a layer zip once per content, and find a layer's latest version for a deploy.

Each version we publish carries ``letrade sha256=<hex> runtime=<rt> arch=<arch>`` as its
description; before publishing, ``list_layer_versions`` is searched for that digest, so an
unchanged layer is never published again. ``publish_layer_zip`` adds the S3 route for a zip
over 50 MB (the profile's ``artifact_bucket``); ``publish_build`` is ``layer-build --publish``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from letrade_cli.core.errors import ConfigError
from letrade_cli.serverless.artifact import needs_s3, upload_artifact
from letrade_cli.serverless.aws import error_code
from letrade_cli.serverless.model import PublishedLayer

if TYPE_CHECKING:
    from letrade_cli.serverless.aws import AwsClients
    from letrade_cli.serverless.model import LayerBuild
    from letrade_cli.serverless.profile import LambdaProfile
    from letrade_cli.serverless.steps import StepRunner

DESCRIPTION_PREFIX = "letrade sha256="


def layer_description(sha256_hex: str, runtime: str, arch: str) -> str:
    """The description that marks a version as ours and records its content digest."""
    return f"{DESCRIPTION_PREFIX}{sha256_hex} runtime={runtime} arch={arch}"


def list_versions(lambda_client: Any, layer_name: str) -> list[dict[str, Any]]:
    """Every version of ``layer_name`` (empty when the layer does not exist)."""
    from botocore.exceptions import ClientError

    versions: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"LayerName": layer_name}
    try:
        while True:
            page = lambda_client.list_layer_versions(**kwargs)
            versions.extend(page.get("LayerVersions", []))
            if not page.get("NextMarker"):
                return versions
            kwargs["Marker"] = page["NextMarker"]
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return []
        raise


def find_published(
    lambda_client: Any, layer_name: str, sha256_hex: str, arch: str, runtime: str | None = None
) -> PublishedLayer | None:
    """The version already holding this exact content (for this runtime and arch), if any."""
    for version in list_versions(lambda_client, layer_name):
        description = version.get("Description", "")
        if (
            f"{DESCRIPTION_PREFIX}{sha256_hex}" in description
            and _fits_arch(version, arch)
            and (runtime is None or _fits_runtime(version, runtime))
        ):
            arn = version["LayerVersionArn"]
            return PublishedLayer(layer_name, arn, int(version["Version"]), published=False)
    return None


def publish_layer(
    lambda_client: Any,
    layer_name: str,
    zip_path: Path,
    *,
    sha256_hex: str,
    runtimes: list[str],
    arch: str,
    plan: bool = False,
    upload: Callable[[Path], dict[str, str]] | None = None,
) -> PublishedLayer | None:
    """Publish ``zip_path`` unless a version with the same digest exists.

    With ``plan`` nothing is written and ``None`` means "would publish". A zip over Lambda's
    50 MB direct-upload limit goes through ``upload`` (an S3 put returning the S3 location).
    """
    existing = find_published(lambda_client, layer_name, sha256_hex, arch, runtimes[0])
    if existing is not None or plan:
        return existing
    if needs_s3(zip_path):
        if upload is None:
            raise ConfigError(
                f"{zip_path} is over Lambda's 50 MB direct upload limit",
                hint="set defaults.artifact_bucket in the profile to publish through S3",
            )
        content: dict[str, Any] = upload(zip_path)
    else:
        content = {"ZipFile": zip_path.read_bytes()}
    response = lambda_client.publish_layer_version(
        LayerName=layer_name,
        Description=layer_description(sha256_hex, runtimes[0], arch),
        Content=content,
        CompatibleRuntimes=runtimes,
        CompatibleArchitectures=[arch],
    )
    return PublishedLayer(
        layer_name, response["LayerVersionArn"], int(response["Version"]), published=True
    )


def publish_layer_zip(
    clients: AwsClients,
    layer_name: str,
    zip_path: Path,
    *,
    sha256_hex: str,
    runtime: str,
    arch: str,
    bucket: str | None = None,
    plan: bool = False,
) -> PublishedLayer | None:
    """``publish_layer`` for one runtime, a zip over 50 MB going through S3 ``bucket`` if set."""
    upload: Callable[[Path], dict[str, str]] | None = None
    if bucket:
        s3_bucket = bucket

        def through_s3(path: Path) -> dict[str, str]:
            return upload_artifact(clients, s3_bucket, path, "layers")

        upload = through_s3
    return publish_layer(
        clients.client("lambda"),
        layer_name,
        zip_path,
        sha256_hex=sha256_hex,
        runtimes=[runtime],
        arch=arch,
        plan=plan,
        upload=upload,
    )


def publish_build(
    profile: LambdaProfile | None, build: LayerBuild, clients: AwsClients, runner: StepRunner
) -> PublishedLayer:
    """Step ``publish`` of ``layer-build --publish``: the built zip, unless already published.

    The layer's AWS name takes the profile's prefix; without a profile it is the build's name.
    """
    layer_name = profile.aws_name(build.name) if profile else build.name
    bucket = profile.defaults.artifact_bucket if profile else None
    with runner.step("publish") as step:
        published = publish_layer_zip(
            clients,
            layer_name,
            build.zip_path,
            sha256_hex=build.sha256_hex,
            runtime=build.runtime,
            arch=build.arch,
            bucket=bucket,
        )
        assert published is not None
        if not published.published:
            step.skip(f"unchanged: {published.version_arn}")
        else:
            step.detail = published.version_arn
    return published


def latest_version_arn(lambda_client: Any, layer_name: str, runtime: str, arch: str) -> str:
    """The newest version of ``layer_name`` for ``runtime`` and ``arch``, or a ConfigError."""
    versions = [
        v
        for v in list_versions(lambda_client, layer_name)
        if _fits_arch(v, arch) and _fits_runtime(v, runtime)
    ]
    if not versions:
        raise ConfigError(
            f"layer '{layer_name}' has no published version for {runtime} {arch}",
            hint=f"run: letrade layer-build <name> --runtime {runtime} --arch {arch} --publish",
        )
    newest = max(versions, key=lambda v: int(v["Version"]))
    return str(newest["LayerVersionArn"])


def _fits_runtime(version: dict[str, Any], runtime: str) -> bool:
    runtimes = version.get("CompatibleRuntimes") or []
    if runtimes:
        return runtime in runtimes
    described = re.search(r"\bruntime=(\S+)", version.get("Description", ""))
    return described is None or described.group(1) == runtime


def _fits_arch(version: dict[str, Any], arch: str) -> bool:
    archs = version.get("CompatibleArchitectures") or []
    return not archs or arch in archs
