"""`letrade data ls|query|import`: what the store holds, SQL over it, collector data into it."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Annotated

import typer

from letrade_cli.cli.data import StoreOption, data_app
from letrade_cli.cli.help import examples
from letrade_cli.core.errors import UsageError

TABLE_ROWS = 1000  # rows a terminal table shows; --csv / --json / a pipe get them all

EndpointOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        metavar="URL",
        help="S3 endpoint (MinIO, moto, LocalStack); default $AWS_ENDPOINT_URL_S3, else "
        "$AWS_ENDPOINT_URL.",
        show_default=False,
    ),
]


def _styled() -> bool:
    """A live terminal that takes colour: Rich tables; otherwise plain text."""
    from letrade_cli.ui.console import out_console

    return out_console().is_terminal and not os.environ.get("NO_COLOR")


def human_bytes(size: int) -> str:
    """``1536`` -> ``1.5 KiB``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def _plain(header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Aligned columns, full values, no colour (pipes, cron, NO_COLOR)."""
    body = [list(r) for r in rows]
    widths = [len(h) for h in header]
    for row in body:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    out = sys.stdout
    for row in (list(header), *body):
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    out.flush()


def _rich(header: Sequence[str], rows: Iterable[Sequence[str]], right: set[int]) -> None:
    from rich.table import Table

    from letrade_cli.ui.console import out_console

    grid = Table(box=None, pad_edge=False, header_style="bold")
    for i, name in enumerate(header):
        grid.add_column(name, justify="right" if i in right else "left", overflow="fold")
    for row in rows:
        grid.add_row(*row)
    out_console().print(grid)


# -- ls --------------------------------------------------------------------------------------
@data_app.command(
    "ls",
    epilog=examples(
        ("letrade data ls", "one row per venue, kind and symbol: first/last time, rows, size"),
        ("letrade data ls --kind candles_1m --json", "the same as a JSON list, exact bytes"),
    ),
)
def ls_command(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list on stdout.")] = False,
    venue: Annotated[str | None, typer.Option("--venue", help="Only this venue.")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only this kind (trades, candles_1m, ...).")
    ] = None,
    symbol: Annotated[str | None, typer.Option("--symbol", help="Only this symbol.")] = None,
) -> None:
    """List what the store holds: one row per (venue, kind, symbol)."""
    from letrade_cli.data.schema import check_kind
    from letrade_cli.data.store import Store

    if kind is not None:
        kind = check_kind(kind)
    target = Store(store)
    held = [
        h
        for h in target.holdings()
        if (venue is None or h.venue == venue)
        and (kind is None or h.kind == kind)
        and (symbol is None or h.symbol == symbol)
    ]
    if as_json:
        typer.echo(json.dumps([h.as_dict() for h in held], indent=2))
        if held:
            return
    if not held:
        what = "holds nothing" if venue is kind is symbol is None else "holds nothing matching"
        message = (
            f"the store at {target.root} {what}; fill it with `letrade data download`, "
            "`letrade data record` or `letrade data import`"
        )
        typer.echo(message, err=as_json)
        return
    header = ("venue", "kind", "symbol", "first", "last", "rows", "bytes", "files")
    styled = _styled()
    rows = [
        (
            h.venue,
            h.kind,
            h.symbol,
            *(h.as_dict()[k] for k in ("first", "last")),
            str(h.rows),
            human_bytes(h.bytes) if styled else str(h.bytes),
            str(h.files),
        )
        for h in held
    ]
    if styled:
        _rich(header, rows, right={5, 6, 7})
    else:
        _plain(header, rows)


# -- query -----------------------------------------------------------------------------------
@data_app.command(
    "query",
    epilog=examples(
        (
            'letrade data query "SELECT symbol, count(*), sum(volume) FROM candles_1m '
            "WHERE venue = 'sim' GROUP BY symbol\"",
            "views: quotes, trades, aggtrades, depth, candles_INTERVAL; + venue, symbol, date",
        ),
        (
            'letrade data query "SELECT * FROM trades LIMIT 5" --store s3://bucket/data --csv',
            "a store on S3 (pyarrow's S3 client; --endpoint-url for MinIO/moto)",
        ),
    ),
)
def query_command(
    sql: Annotated[str, typer.Argument(metavar="SQL", help="One SELECT (DuckDB's dialect).")],
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            metavar="PATH|s3://BUCKET/PREFIX",
            help="The store's root: a directory (default: $LETRADE_DATA_DIR, else "
            "~/.local/share/letrade/data) or s3://bucket/prefix.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per row (JSON Lines).")
    ] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV: a header, then the rows.")] = False,
    endpoint_url: EndpointOption = None,
) -> None:
    """SQL over the store with DuckDB: each kind is a view (prices exact DECIMAL)."""
    if as_json and as_csv:
        raise UsageError("--json and --csv exclude each other", hint="pick one output format")
    from letrade_cli.data import query

    result = query.run(sql, store, endpoint_url)
    if as_json:
        out = sys.stdout
        for row in result.rows():
            record = {c: query.json_value(v) for c, v in zip(result.columns, row, strict=True)}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
        return
    if as_csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(result.columns)
        for row in result.rows():
            writer.writerow(["" if (t := query.text(v)) is None else t for v in row])
        sys.stdout.flush()
        return
    cells = (["NULL" if (t := query.text(v)) is None else t for v in row] for row in result.rows())
    if not _styled():
        _plain(result.columns, cells)
        return
    numeric = ("DECIMAL", "BIGINT", "INTEGER", "DOUBLE", "FLOAT", "HUGEINT", "SMALLINT", "UBIG")
    right = {i for i, t in enumerate(result.types) if t.upper().startswith(numeric)}
    shown: list[list[str]] = []
    more = 0
    for row_cells in cells:
        if len(shown) < TABLE_ROWS:
            shown.append(row_cells)
        else:
            more += 1
    _rich(result.columns, shown, right)
    if more:
        from letrade_cli.ui.console import err_console

        err_console().print(f"… {more} more rows (use --csv or --json to get every row)")


# -- import ----------------------------------------------------------------------------------
@data_app.command(
    "import",
    epilog=examples(
        ("letrade data import s3://my-bucket/candles", "what the data-collector Lambda wrote"),
        ("letrade data import ./collector-copy --store ./data", "a local copy of its prefix"),
    ),
)
def import_command(
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="A directory or s3://bucket/prefix holding "
            "venue=V/market=M/date=D/candles-1m-*.jsonl files.",
        ),
    ],
    store: StoreOption = None,
    endpoint_url: EndpointOption = None,
) -> None:
    """Import the data-collector Lambda's candles into the store (idempotent, merged)."""
    from letrade_cli.data.imports import PartitionWrite, import_collector
    from letrade_cli.ui.console import out_console

    console = out_console()

    def show(written: PartitionWrite) -> None:
        if not console.is_terminal:
            typer.echo(written.line())

    if console.is_terminal:
        with console.status("importing …"):
            report = import_collector(source, store, endpoint_url, on_partition=show)
    else:
        report = import_collector(source, store, endpoint_url, on_partition=show)
    typer.echo(report.summary())
