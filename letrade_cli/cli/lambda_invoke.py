"""`letrade lambda-invoke --local`: run a packaged function like Lambda, on its runtime's Python."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

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


def lambda_invoke(
    function: Annotated[
        str, typer.Argument(help="Function name in the profile.", autocompletion=complete_functions)
    ],
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
    python: Annotated[
        Path | None,
        typer.Option(
            "--python", help="Interpreter to run (default: one of the runtime's version)."
        ),
    ] = None,
    layer_dir: LayerDirOpt = None,
    out: OutOpt = Path("build/lambda"),
    as_json: JsonOpt = False,
) -> None:
    """Package a function and run it like Lambda: cold and warm timings, result, REPORT lines."""
    with lambda_errors():
        from letrade_cli.core.errors import UsageError

        if not local:
            raise UsageError(
                "lambda-invoke runs functions locally only",
                hint="add --local (deployed: lambda-deploy --invoke, lambda-logs)",
            )
        from letrade_cli.serverless.local.invoke import HandlerError, invoke_local
        from letrade_cli.serverless.profile import load_lambda_profile

        result = invoke_local(
            load_lambda_profile(profile),
            function,
            event=_read_event(event),
            warm=warm,
            env_overrides=_parse_env(env or []),
            extra_layers=layer_dir,
            out_dir=out,
            python=str(python) if python else None,
        )
        for line in result.warnings:
            warn(line)
        last = result.invocations[-1]
        _render_invoke(result.to_dict(), result.logs, as_json)
        if last.error is not None:
            raise HandlerError(
                f"{function}: handler raised {last.error['errorType']}: "
                f"{last.error['errorMessage']}",
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
    warm = data["warm_ms"]
    console.print(
        f"{data['function']}: {data['python']} ({data['python_version']}), "
        f"init {data['init_ms']:.1f} ms, cold {data['cold_ms']:.1f} ms"
        + (f", warm median {data['warm_median_ms']:.1f} ms over {len(warm)}" if warm else "")
        + f", max memory {data['max_memory_mb']} MB",
        markup=False,
    )
    if data["result"] is not None or data["invocations"][-1].get("error") is None:
        typer.echo(json.dumps(data["result"], indent=2, default=str))  # a raise is no "null"


def _read_event(path: Path | None) -> Any:
    from letrade_cli.core.errors import UsageError

    if path is None:
        return {}
    import sys

    try:
        from letrade_cli.core.files import read_utf8

        text = sys.stdin.read() if str(path) == "-" else read_utf8(path, "--event file")
        return json.loads(text)
    except OSError as exc:
        raise UsageError(f"--event {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise UsageError(f"--event {path}: not JSON: line {exc.lineno}: {exc.msg}") from exc


def _parse_env(items: list[str]) -> dict[str, str]:
    from letrade_cli.core.errors import UsageError

    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--env {item!r}: expected KEY=VALUE")
        pairs[key] = value
    return pairs
