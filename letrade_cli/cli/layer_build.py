"""`letrade layer-build`: build a layer zip for Lambda's platform, optionally publish it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from letrade_cli.cli.help import complete_choices, complete_layers
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


def layer_build(
    name: Annotated[
        str,
        typer.Argument(help="Layer name (a key under `layers:`).", autocompletion=complete_layers),
    ],
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
        from letrade_cli.serverless.layer.inputs import layer_inputs
        from letrade_cli.serverless.layer.publish import publish_build
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
            clients = aws_clients(prof, region, endpoint_url, aws_profile)
            data["layer"] = publish_build(prof, build, clients, runner).to_dict()
        if as_json:
            typer.echo(json.dumps(data, indent=2))
        else:
            cached = " (cached)" if build.cached else ""
            typer.echo(f"{build.zip_path}  sha256 {build.sha256_hex}{cached}")
            if publish:
                typer.echo(data["layer"]["version_arn"])


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
