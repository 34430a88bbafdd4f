"""`letrade venues`: every registered venue, its endpoints, keys and capabilities."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from letrade_cli.cli.help import examples


def register(app: typer.Typer) -> None:
    """Add the ``venues`` command to the root app."""
    app.command(
        "venues",
        epilog=examples(
            ("letrade venues", "name, dialect, real money, example symbol, key variables"),
            ("letrade venues --json | jq '.[].capabilities'", "what each venue's API can do"),
        ),
    )(venues_command)


def venues_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list on stdout.")] = False,
) -> None:
    """List the venues --venue accepts: built-in ones, then plugins ($LETRADE_VENUES)."""
    rows = venue_rows()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    from letrade_cli.ui.console import out_console

    table = Table(box=None, pad_edge=False)
    for column in ("name", "money", "symbol", "key variables", "what it is"):
        table.add_column(column, no_wrap=column in ("name", "money", "symbol"), overflow="fold")
    for row in rows:
        keys = f"{row['api_key_env']} {row['secret_env']}" if row["api_key_env"] else "-"
        money = "real" if row["live_money"] else "test"
        table.add_row(row["name"], money, row["example_symbol"], keys, row["description"])
    out_console().print(table)


def venue_rows() -> list[dict[str, Any]]:
    """One JSON-ready row per venue (spec, capabilities, rate limits)."""
    from dataclasses import asdict

    from letrade_cli.venues.registry import specs, venue_of

    rows = []
    for spec in specs().values():
        package = venue_of(spec)
        capabilities = asdict(package.capabilities)
        for key in ("order_types", "times_in_force"):
            capabilities[key] = sorted(capabilities[key])
        rows.append(
            {
                "name": spec.name,
                "dialect": spec.dialect,
                "description": spec.description,
                "live_money": spec.live_money,
                "embedded": spec.embedded,
                "ws_url": spec.ws_url,
                "rest_url": spec.rest_url,
                "api_key_env": spec.api_key_env,
                "secret_env": spec.secret_env,
                "example_symbol": package.example_symbol,
                "symbol_format": asdict(package.symbols),
                "capabilities": capabilities,
            }
        )
    return rows
