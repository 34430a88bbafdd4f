"""The Lambda command group: one module per command, registered here.

    layer-build      cli/layer_build.py      lambda-package   cli/lambda_package.py
    lambda-deploy    cli/lambda_deploy.py    lambda-invoke    cli/lambda_invoke.py
    lambda-logs      cli/lambda_logs.py      lambda-rollback  cli/lambda_rollback.py
    lambda-destroy   cli/lambda_destroy.py

Errors map to exit codes in one place: ``lambda_common.lambda_errors`` (codes from
``core.errors``). Every module imports only Typer at the top, so ``letrade --help`` is light.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from letrade_cli.cli import (
    lambda_deploy,
    lambda_destroy,
    lambda_invoke,
    lambda_logs,
    lambda_package,
    lambda_rollback,
    layer_build,
)
from letrade_cli.cli.help import examples

EXAMPLES = {
    "layer-build": examples(
        ("letrade layer-build letrade-deps --arch arm64", "manylinux wheels for Lambda, cached"),
        (
            "letrade layer-build deps --requirements req.txt --no-index --find-links wheels/",
            "offline, from a local wheelhouse",
        ),
    ),
    "lambda-package": examples(
        ("letrade lambda-package data-collector", "zip into build/lambda/, imports checked first"),
        ("letrade lambda-package scanner --out dist/ --json", "where it went, size, sha256"),
    ),
    "lambda-deploy": examples(
        ("letrade lambda-deploy data-collector --plan", "what would change; writes nothing"),
        (
            "letrade lambda-deploy data-collector --publish --alias live --invoke",
            "deploy, publish, point the alias, call it",
        ),
    ),
    "lambda-invoke": examples(
        ("letrade lambda-invoke data-collector --local --warm 5", "cold and warm timings"),
        ("echo '{}' | letrade lambda-invoke scanner --local --event -", "an event from stdin"),
    ),
    "lambda-logs": examples(
        ("letrade lambda-logs data-collector --since 1h", "REPORT lines as a cold/warm table"),
        ("letrade lambda-logs scanner --follow --filter ERROR", "keep watching for errors"),
    ),
    "lambda-rollback": examples(
        ("letrade lambda-rollback data-collector --alias live --plan", "what would move"),
        ("letrade lambda-rollback data-collector --alias live --to 3", "point live at version 3"),
    ),
    "lambda-destroy": examples(
        ("letrade lambda-destroy scanner --plan", "what would be removed; writes nothing"),
        ("letrade lambda-destroy --all --layers --yes", "everything letrade created, no prompt"),
    ),
}


def register(app: typer.Typer) -> None:
    """Add every Lambda command to the root app."""
    commands: dict[str, Callable[..., None]] = {
        "layer-build": layer_build.layer_build,
        "lambda-package": lambda_package.lambda_package,
        "lambda-deploy": lambda_deploy.lambda_deploy,
        "lambda-invoke": lambda_invoke.lambda_invoke,
        "lambda-logs": lambda_logs.lambda_logs,
        "lambda-rollback": lambda_rollback.lambda_rollback,
        "lambda-destroy": lambda_destroy.lambda_destroy,
    }
    for name, command in commands.items():
        app.command(name, epilog=EXAMPLES[name])(command)
