"""The Lambda command group: one module per command, registered here.

    layer-build      cli/layer_build.py      lambda-package   cli/lambda_package.py
    lambda-deploy    cli/lambda_deploy.py    lambda-invoke    cli/lambda_invoke.py
    lambda-logs      cli/lambda_logs.py      lambda-rollback  cli/lambda_rollback.py
    lambda-destroy   cli/lambda_destroy.py

Errors map to exit codes in one place: ``lambda_common.lambda_errors`` (codes from
``letrade_cli.errors``). Every module imports only Typer at the top, so ``letrade --help`` is light.
"""

from __future__ import annotations

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


def register(app: typer.Typer) -> None:
    """Add every Lambda command to the root app."""
    app.command("layer-build")(layer_build.layer_build)
    app.command("lambda-package")(lambda_package.lambda_package)
    app.command("lambda-deploy")(lambda_deploy.lambda_deploy)
    app.command("lambda-invoke")(lambda_invoke.lambda_invoke)
    app.command("lambda-logs")(lambda_logs.lambda_logs)
    app.command("lambda-rollback")(lambda_rollback.lambda_rollback)
    app.command("lambda-destroy")(lambda_destroy.lambda_destroy)
