"""`letrade lambda-package` and `letrade lambda-invoke --local`: build and run functions locally."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from letrade_cli.cli.help import complete_profile, examples
from letrade_cli.errors import UsageError

ProfileOpt = Annotated[
    str,
    typer.Option(
        "--profile",
        help="Lambda profile name (letrade profiles list) or path.",
        envvar="LETRADE_LAMBDA_PROFILE",
        autocompletion=complete_profile,
    ),
]
OutOpt = Annotated[Path, typer.Option("--out", help="Directory for the zip.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
LayerOpt = Annotated[
    list[Path] | None,
    typer.Option("--layer-dir", help="Extra layer (dir or zip with python/); repeatable."),
]


def lambda_package(
    function: Annotated[str, typer.Argument(help="Function name in the profile.")],
    profile: ProfileOpt = "lambda",
    out: OutOpt = Path("build/lambda"),
    layer_dir: LayerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Zip a function deterministically after resolving every import it makes."""
    from letrade_cli.serverless.package import package_function
    from letrade_cli.serverless.profile import load_lambda_profile

    result = package_function(
        load_lambda_profile(profile), function, out_dir=out, extra_layers=layer_dir
    )
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
    console.print(
        f"  runtime {result.runtime}; stdlib names from this interpreter ({result.stdlib_from})"
    )


def lambda_invoke(
    function: Annotated[str, typer.Argument(help="Function name in the profile.")],
    local: Annotated[
        bool, typer.Option("--local", help="Run here, in a clean interpreter.")
    ] = False,
    event: Annotated[
        Path | None, typer.Option("--event", help="JSON event file ('-' for stdin).")
    ] = None,
    profile: ProfileOpt = "lambda",
    warm: Annotated[int, typer.Option("--warm", min=0, help="Warm calls after the cold one.")] = 0,
    env: Annotated[
        list[str] | None, typer.Option("--env", help="KEY=VALUE for the function; repeatable.")
    ] = None,
    layer_dir: LayerOpt = None,
    out: OutOpt = Path("build/lambda"),
    as_json: JsonOpt = False,
) -> None:
    """Package a function and run it like Lambda: cold and warm timings, result, REPORT lines."""
    if not local:
        raise UsageError(
            "lambda-invoke runs functions locally only",
            hint="add --local (deployed: lambda-deploy)",
        )
    from letrade_cli.serverless.local_invoke import HandlerError, invoke_local
    from letrade_cli.serverless.profile import load_lambda_profile

    result = invoke_local(
        load_lambda_profile(profile),
        function,
        event=_read_event(event),
        warm=warm,
        env_overrides=_parse_env(env or []),
        extra_layers=layer_dir,
        out_dir=out,
    )
    last = result.invocations[-1]
    _render_invoke(result.to_dict(), result.logs, as_json)
    if last.error is not None:
        raise HandlerError(
            f"{function}: handler raised {last.error['errorType']}: {last.error['errorMessage']}",
            payload=last.error,
        )


def _render_invoke(data: dict[str, Any], logs: str, as_json: bool) -> None:
    from letrade_cli.ui.console import err_console

    console = err_console()
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    for line in logs.splitlines():
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    for layer in data["missing_layers"]:
        console.print(f"layer {layer} is not built locally (letrade layer-build); not on sys.path")
    warm = data["warm_ms"]
    console.print(
        f"{data['function']}: init {data['init_ms']:.1f} ms, cold {data['cold_ms']:.1f} ms"
        + (f", warm median {data['warm_median_ms']:.1f} ms over {len(warm)}" if warm else "")
        + f", max memory {data['max_memory_mb']} MB"
    )
    typer.echo(json.dumps(data["result"], indent=2, default=str))


def _read_event(path: Path | None) -> Any:
    if path is None:
        return {}
    import sys

    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        return json.loads(text)
    except OSError as exc:
        raise UsageError(f"--event {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise UsageError(f"--event {path}: not JSON: line {exc.lineno}: {exc.msg}") from exc


def _parse_env(items: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--env {item!r}: expected KEY=VALUE")
        pairs[key] = value
    return pairs


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.command("lambda-package", epilog=PACKAGE_EXAMPLES)(lambda_package)
    app.command("lambda-invoke", epilog=INVOKE_EXAMPLES)(lambda_invoke)


PACKAGE_EXAMPLES = examples(
    ("letrade lambda-package data-collector", "zip into build/lambda/, imports checked first"),
    ("letrade lambda-package scanner --out dist/ --json", "where it went, size, sha256"),
)
INVOKE_EXAMPLES = examples(
    ("letrade lambda-invoke data-collector --local --warm 5", "cold and warm timings"),
    ("echo '{}' | letrade lambda-invoke scanner --local --event -", "an event from stdin"),
)
