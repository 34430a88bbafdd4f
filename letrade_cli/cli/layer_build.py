"""`letrade layer-build`: build a layer zip for Lambda's platform, optionally publish it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from letrade_cli.cli.help import complete_choices
from letrade_cli.cli.lambda_common import (
    AwsProfileOpt,
    EndpointOpt,
    JsonOpt,
    ProfileOpt,
    RegionOpt,
    aws_clients,
    lambda_errors,
    progress,
)

if TYPE_CHECKING:
    from letrade_cli.serverless.model import LayerBuild
    from letrade_cli.serverless.profile import LambdaProfile


def layer_build(
    name: Annotated[str, typer.Argument(help="Layer name (a key under `layers:`).")],
    profile: ProfileOpt = "lambda",
    runtime: Annotated[
        str | None, typer.Option(help="Lambda runtime, e.g. python3.12 (default: profile).")
    ] = None,
    arch: Annotated[
        str | None,
        typer.Option(
            help="x86_64 or arm64 (default: profile, else x86_64).",
            autocompletion=complete_choices(("x86_64", "arm64")),
        ),
    ] = None,
    requirements: Annotated[
        Path | None, typer.Option(help="Requirements file (overrides the profile's).")
    ] = None,
    find_links: Annotated[
        list[Path] | None, typer.Option(help="Local wheel directory for pip (repeatable).")
    ] = None,
    no_index: Annotated[
        bool, typer.Option("--no-index", help="Use only --find-links; never the package index.")
    ] = False,
    out: Annotated[Path, typer.Option(help="Where NAME-RUNTIME-ARCH.zip is written.")] = Path(
        "build/layers"
    ),
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Rebuild: neither read nor fill the cache.")
    ] = False,
    publish: Annotated[
        bool, typer.Option("--publish", help="Publish a layer version if new.")
    ] = False,
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    aws_profile: AwsProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Build a layer zip from wheels for Lambda's platform (manylinux), optionally publish it."""
    with lambda_errors():
        from letrade_cli.serverless.layer.build import build_layer
        from letrade_cli.serverless.model import LayerRequest
        from letrade_cli.serverless.steps import StepRunner

        prof, lines, runtime, arch = layer_inputs(name, profile, requirements, runtime, arch)
        runner = StepRunner(on_event=progress())
        request = LayerRequest(
            name,
            lines,
            runtime=runtime,
            arch=arch,
            out_dir=out,
            find_links=list(find_links or []),
            no_index=no_index,
            use_cache=not no_cache,
        )
        build = build_layer(request, runner=runner)
        _size_table(build)
        data: dict[str, Any] = build.to_dict()
        data["steps_ms"] = runner.timings_ms()
        if publish:
            data["layer"] = _publish(prof, name, build, runner, region, endpoint_url, aws_profile)
        if as_json:
            typer.echo(json.dumps(data, indent=2))
        else:
            cached = " (cached)" if build.cached else ""
            typer.echo(f"{build.zip_path}  sha256 {build.sha256_hex}{cached}")
            if publish:
                typer.echo(data["layer"]["version_arn"])


def _publish(
    prof: LambdaProfile | None,
    name: str,
    build: LayerBuild,
    runner: Any,
    region: str | None,
    endpoint_url: str | None,
    aws_profile: str | None,
) -> dict[str, Any]:
    from letrade_cli.serverless.artifact import upload_artifact
    from letrade_cli.serverless.layer.publish import publish_layer

    clients = aws_clients(prof, region, endpoint_url, aws_profile)
    prefix = prof.defaults.name_prefix if prof else ""
    layer_name = name if name.startswith(prefix) else f"{prefix}{name}"
    bucket = prof.defaults.artifact_bucket if prof else None
    with runner.step("publish") as step:
        published = publish_layer(
            clients.client("lambda"),
            layer_name,
            build.zip_path,
            sha256_hex=build.sha256_hex,
            runtimes=[build.runtime],
            arch=build.arch,
            upload=(lambda path: upload_artifact(clients, bucket, path, "layers"))
            if bucket
            else None,
        )
        assert published is not None
        if not published.published:
            step.skip(f"unchanged: {published.version_arn}")
        else:
            step.detail = published.version_arn
    return published.to_dict()


def layer_inputs(
    name: str, profile: str, requirements: Path | None, runtime: str | None, arch: str | None
) -> tuple[LambdaProfile | None, list[str], str, str]:
    """The profile (if any), requirement lines, runtime and architecture of a layer build."""
    from letrade_cli.errors import ConfigError, UsageError
    from letrade_cli.serverless.profile import RUNTIMES, load_lambda_profile

    prof: LambdaProfile | None
    try:
        prof = load_lambda_profile(profile)
    except ConfigError:
        if requirements is None:
            raise
        prof = None
    spec = prof.layers.get(name) if prof else None
    if requirements is not None:
        try:
            lines = requirements.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read {requirements}: {exc.strerror}") from exc
    else:
        assert prof is not None
        spec = prof.layer(name)
        lines = list(spec.requirements)
        if spec.requirements_file:
            path = prof.base_dir / spec.requirements_file
            try:
                lines += path.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise ConfigError(
                    f"{prof.path}: layers.{name}.requirements_file: cannot read {path}: "
                    f"{exc.strerror}",
                    hint="fix the path (relative to the project directory) or create the file",
                ) from exc
    runtime = runtime or (spec.runtimes[0] if spec else "python3.12")
    arch = arch or (spec.architectures[0] if spec else "x86_64")
    if runtime not in RUNTIMES:
        raise UsageError(f"unsupported runtime '{runtime}'", hint=f"use {', '.join(RUNTIMES)}")
    if arch not in ("x86_64", "arm64"):
        raise UsageError(f"unsupported architecture '{arch}'", hint="use x86_64 or arm64")
    return prof, lines, runtime, arch


def _size_table(build: LayerBuild) -> None:
    from rich.table import Table

    from letrade_cli.serverless.model import MAX_UNZIPPED_BYTES, MAX_ZIPPED_BYTES
    from letrade_cli.ui.console import err_console

    table = Table(
        title=f"layer {build.name} ({build.runtime}, {build.arch})",
        caption=(
            f"{build.unzipped_bytes / MAX_UNZIPPED_BYTES:.1%} of Lambda's 250 MB unzipped, "
            f"{build.zipped_bytes / MAX_ZIPPED_BYTES:.1%} of its 50 MB zipped limit"
        ),
    )
    for column in ("package", "version", "files", "unzipped", "zipped"):
        table.add_column(column, justify="left" if column in ("package", "version") else "right")
    for p in build.packages:
        table.add_row(
            p.name, p.version, str(p.files), f"{p.unzipped_bytes:,}", f"{p.zipped_bytes:,}"
        )
    table.add_section()
    table.add_row(
        "total",
        "",
        str(sum(p.files for p in build.packages)),
        f"{build.unzipped_bytes:,}",
        f"{build.zipped_bytes:,} (zip)",
    )
    err_console().print(table)
