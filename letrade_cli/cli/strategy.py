"""`letrade strategy list|new`: the built-in strategies and their parameters; a new one to edit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from letrade_cli.cli.help import examples

strategy_app = typer.Typer(
    help="The strategies --strategy can run: the built-in ones, and a new one of your own.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``strategy`` group to the root app."""
    app.add_typer(strategy_app, name="strategy")


@strategy_app.command(
    "list",
    epilog=examples(
        ("letrade strategy list", "each built-in and its parameters: default, bounds, help"),
        ("letrade strategy list --json | jq '.[].params'", "the same as JSON"),
    ),
)
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list on stdout.")] = False,
) -> None:
    """List the built-in strategies with their parameters (set them with --param NAME=VALUE)."""
    rows = strategy_rows()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    from letrade_cli.ui.console import out_console

    table = Table(box=None, pad_edge=False)
    table.add_column("strategy", no_wrap=True)
    table.add_column("param", no_wrap=True)
    table.add_column("default", no_wrap=True)
    table.add_column("bounds", no_wrap=True)
    table.add_column("what it is", overflow="fold")
    for row in rows:
        table.add_row(row["name"], "", "", "", row["description"])
        for param in row["params"]:
            table.add_row("", param["name"], str(param["default"]), param["bounds"], param["help"])
    out_console().print(table)


def strategy_rows() -> list[dict[str, Any]]:
    """One JSON-ready row per built-in strategy, with its parameters."""
    import inspect

    from letrade_cli.trading.strategies import BUILTIN, strategy_class

    rows = []
    for name in BUILTIN:
        cls, _ = strategy_class(name)
        doc = (inspect.getdoc(cls) or "").replace("``", "")
        params = []
        for key, param in cls.params().items():  # type: ignore[attr-defined]
            params.append(
                {
                    "name": key,
                    "type": param.type.__name__.lower(),
                    "default": _plain(param.default),
                    "min": _plain(param.min),
                    "max": _plain(param.max),
                    "choices": [_plain(c) for c in param.choices] if param.choices else None,
                    "bounds": param.bounds,
                    "help": param.help,
                }
            )
        rows.append(
            {"name": name, "description": doc.splitlines()[0] if doc else "", "params": params}
        )
    return rows


def _plain(value: Any) -> Any:
    """JSON-ready: a Decimal as its text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


@strategy_app.command(
    "new",
    epilog=examples(
        ("letrade strategy new my_trend", "my_trend.py and test_my_trend.py here"),
        (
            "letrade dryrun --minutes 10 --venue sim -s BTCUSDT --strategy my_trend.py:MyTrend",
            "run it on paper",
        ),
    ),
)
def new_command(
    name: Annotated[str, typer.Argument(help="The module name (a Python identifier).")],
    directory: Annotated[
        Path,
        typer.Option("--dir", help="Where to write the two files.", file_okay=False),
    ] = Path("."),
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the files if they exist.")
    ] = False,
) -> None:
    """Write NAME.py (a small working strategy to edit) and test_NAME.py (its pytest test)."""
    from letrade_cli.cli.strategy_template import write_strategy
    from letrade_cli.ui.console import err_console

    written = write_strategy(name, directory, force=force)
    for path in written:
        typer.echo(str(path))
    strategy, test = written
    err_console().print(
        f"next: pytest {test}, then letrade dryrun --minutes 10 --venue sim -s BTCUSDT "
        f"--strategy {strategy}:{class_name(name)}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def class_name(name: str) -> str:
    """``my_trend`` -> ``MyTrend``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or "Strategy"
