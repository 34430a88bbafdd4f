"""`letrade profiles list|show|init`: see, read and copy the profiles ``--profile`` can use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from letrade_cli.cli.help import complete_profile, examples

profiles_app = typer.Typer(
    help="The profiles --profile NAME can use: yours first, then the built-in ones.",
    no_args_is_help=True,
)


@profiles_app.command(
    "list",
    epilog=examples(
        ("letrade profiles list", "name, where it comes from, what it is for"),
        ("letrade profiles list --json | jq '.[].name'", "the same as JSON"),
    ),
)
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list on stdout.")] = False,
) -> None:
    """List every profile name, where its file comes from, and what it is for.

    Looked up in order, first match wins: $LETRADE_PROFILES_DIR, ./profiles,
    ~/.config/letrade/profiles ($XDG_CONFIG_HOME), then the built-in ones.
    """
    from letrade_cli.config.profiles import list_profiles

    rows = [
        {
            "name": entry.name,
            "origin": entry.origin,
            "path": str(entry.path),
            "description": _description(entry.path),
            "overrides": list(entry.shadows),
        }
        for entry in list_profiles()
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    from letrade_cli.ui.console import out_console

    table = Table(box=None, pad_edge=False)
    table.add_column("name", no_wrap=True)
    table.add_column("from", no_wrap=True)
    table.add_column("what it is for", overflow="fold")
    for row in rows:
        origin = str(row["origin"])
        if row["overrides"]:
            origin += f" (overrides {', '.join(row['overrides'])})"
        table.add_row(str(row["name"]), origin, str(row["description"]))
    out_console().print(table)


@profiles_app.command(
    "show",
    epilog=examples(
        ("letrade profiles show sim", "the file --profile sim reads"),
        ("letrade profiles show lambda > lambda.yaml", "save a copy"),
    ),
)
def show_command(
    name: Annotated[
        str,
        typer.Argument(help="Profile name or path.", autocompletion=complete_profile),
    ],
) -> None:
    """Print a profile's file as it is on disk (its path goes to stderr)."""
    from letrade_cli.config.loader import read_profile_text
    from letrade_cli.config.profiles import find_profile
    from letrade_cli.ui.console import err_console

    path = find_profile(name)
    text = read_profile_text(path)
    err_console().print(f"# {path}", style="dim", markup=False, highlight=False, soft_wrap=True)
    typer.echo(text, nl=not text.endswith("\n"))


def _builtin_names(incomplete: str) -> list[str]:
    from letrade_cli.config.profiles import builtin_names

    return [name for name in builtin_names() if name.startswith(incomplete)]


@profiles_app.command(
    "init",
    epilog=examples(
        ("letrade profiles init NAME", "copy to ~/.config/letrade/profiles/ to edit"),
        ("letrade profiles init lambda --to ./profiles", "a project-local copy"),
    ),
)
def init_command(
    name: Annotated[
        str,
        typer.Argument(help="A built-in profile to copy.", autocompletion=_builtin_names),
    ],
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            help="Directory to copy into. [default: ~/.config/letrade/profiles]",
            file_okay=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the file if it exists.")
    ] = False,
) -> None:
    """Copy a built-in profile where --profile finds it first, so you can edit it."""
    from letrade_cli.config.profiles import init_profile

    target = init_profile(name, to, force=force)
    typer.echo(str(target))


def _description(path: Path) -> str:
    """The profile's ``description:`` key, or a note when the file does not parse."""
    from letrade_cli.config.loader import load_yaml_mapping
    from letrade_cli.core.errors import ConfigError

    try:
        data = load_yaml_mapping(path)
    except ConfigError:
        return "(cannot be read: letrade profiles show NAME)"
    return str(data.get("description", ""))


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.add_typer(profiles_app, name="profiles")
