"""`letrade lambda-package`: a deterministic function zip, every import resolved first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from letrade_cli.cli.help import complete_functions
from letrade_cli.cli.lambda_common import (
    JsonOpt,
    LayerDirOpt,
    OutOpt,
    ProfileOpt,
    lambda_errors,
    warn,
)


def lambda_package(
    function: Annotated[
        str, typer.Argument(help="Function name in the profile.", autocompletion=complete_functions)
    ],
    profile: ProfileOpt = "lambda",
    out: OutOpt = Path("build/lambda"),
    layer_dir: LayerDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Zip a function deterministically after resolving every import it makes."""
    with lambda_errors():
        from letrade_cli.serverless.local.package import package_function
        from letrade_cli.serverless.profile import load_lambda_profile

        result = package_function(
            load_lambda_profile(profile), function, out_dir=out, extra_layers=layer_dir
        )
        for line in result.warnings:
            warn(line)
        if as_json:
            typer.echo(json.dumps(result.to_dict(), indent=2))
            return
        from letrade_cli.ui.console import err_console, out_console

        pct = 100 * result.size_bytes / result.budget_bytes
        out_console().print(
            f"{result.function}: {result.zip_path}  {result.size_bytes:,} B"
            f" / budget {result.budget_bytes:,} B ({pct:.0f}%)  sha256 {result.sha256_hex[:16]}…"
        )
        console = err_console()
        for source, modules in result.imports.items():
            console.print(f"  imports from {source}: {', '.join(modules)}", soft_wrap=True)
        for layer in result.layers:
            console.print(f"  layer {layer.name}: {layer.origin}", soft_wrap=True)
        for item in result.optional_missing:
            console.print(f"  optional import not available: {item}", soft_wrap=True)
        console.print(f"  runtime {result.runtime}; stdlib names of {result.stdlib_from}")
