"""`letrade data`: the Parquet store — download, ls, import, query.

Each command lives in its own module and adds itself to ``data_app``; this module holds the
group and the options they share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

data_app = typer.Typer(
    help="Market data at rest: download history, list the store, import collector data, SQL.",
    no_args_is_help=True,
)

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        metavar="PATH",
        help="The store's root directory (default: $LETRADE_DATA_DIR, else "
        "~/.local/share/letrade/data).",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    """Add the ``data`` group (with every command module's commands) to the root app."""
    from letrade_cli.cli import data_download, data_store  # noqa: F401  (they add commands)

    app.add_typer(data_app, name="data")
