"""SQL over the store: DuckDB (embedded) with one view per kind.

Each kind (``quotes``, ``trades``, ``aggtrades``, ``depth``, ``candles_1m``, ``candles_1h`` ...)
is a pyarrow dataset over its Parquet files, registered in DuckDB under the kind's name, with
the partition columns ``venue``, ``symbol`` (VARCHAR) and ``date`` (DATE) after the file's own
columns. Prices and sizes stay ``DECIMAL(38,18)``, so sums are exact; ``ts`` is a
``TIMESTAMPTZ_NS`` shown in UTC. The base kinds and ``candles_1m`` always exist (empty when the
store has none). A store on S3 is read through pyarrow's S3 filesystem: DuckDB scans the Arrow
dataset, and extension auto-install is off, so a query never fetches anything.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from letrade_cli.core.errors import UsageError
from letrade_cli.data.location import Location, mask, open_location
from letrade_cli.data.schema import BASE_KINDS, check_kind, schema
from letrade_cli.data.store import Store, StoreError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

ALWAYS = (*BASE_KINDS, "candles_1m")
BATCH_ROWS = 4096


class QueryError(UsageError):
    """DuckDB refused the SQL (syntax, unknown column or view, bad cast): exit 2."""


@dataclass(slots=True)
class Catalog:
    """The views of one store: kind -> its files (filesystem paths)."""

    location: Location
    files: dict[str, list[str]] = field(default_factory=dict)

    @property
    def views(self) -> list[str]:
        """Every view name, base kinds first."""
        extra = sorted(k for k in self.files if k not in ALWAYS)
        return [*ALWAYS, *extra]


def catalog(store: str | Path | None, endpoint_url: str | None = None) -> Catalog:
    """The store's files by kind (a local store is checked like ``Store``)."""
    if store is None or not str(store).startswith("s3://"):
        local = Store(store)
        location = open_location(local.root)
        found = Catalog(location)
        for stored in local.files():
            path = Path(os.path.abspath(stored.path)).as_posix()
            found.files.setdefault(stored.kind, []).append(path)
        return found
    location = open_location(str(store), endpoint_url)
    found = Catalog(location)
    for path in location.files(".parquet"):
        parts = location.relative(path).split("/")
        if len(parts) != 5:
            continue
        keys = [p.partition("=") for p in parts[:4]]
        if [k for k, _, _ in keys] != ["venue", "kind", "symbol", "date"]:
            continue
        kind = keys[1][2]
        try:
            check_kind(kind)
        except UsageError:
            continue
        found.files.setdefault(kind, []).append(path)
    return found


def view_schema(kind: str) -> pa.Schema:
    """A view's columns: the kind's file schema, then venue, symbol, date."""
    import pyarrow as pa

    return (
        schema(kind)
        .append(pa.field("venue", pa.string()))
        .append(pa.field("symbol", pa.string()))
        .append(pa.field("date", pa.date32()))
    )


def connect(found: Catalog) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per kind of ``found``."""
    import duckdb
    import pyarrow as pa
    import pyarrow.dataset as ds

    con = duckdb.connect(":memory:")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET TimeZone = 'UTC'")
    partitioning = ds.partitioning(
        pa.schema([("venue", pa.string()), ("symbol", pa.string()), ("date", pa.date32())]),
        flavor="hive",
    )
    for kind in found.views:
        paths = found.files.get(kind, [])
        target = view_schema(kind)
        source: Any
        if paths:
            source = ds.dataset(
                paths,
                schema=target,
                format="parquet",
                filesystem=found.location.fs,
                partitioning=partitioning,
                partition_base_dir=found.location.base,
            )
        else:
            source = target.empty_table()
        con.register(kind, source)
    return con


@dataclass(slots=True)
class Result:
    """A running query: column names and its rows in Arrow batches."""

    columns: list[str]
    types: list[str]
    reader: pa.RecordBatchReader
    found: Catalog

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The rows, batch by batch (store errors raised while scanning name the file)."""
        import duckdb
        import pyarrow as pa

        while True:
            try:
                batch = self.reader.read_next_batch()
            except StopIteration:
                return
            except (duckdb.Error, pa.ArrowException, OSError) as exc:
                raise _scan_error(self.found, exc) from None
            yield batch

    def rows(self) -> Iterator[list[Any]]:
        """The rows as lists of Python values (Decimal, datetime, str, int, None)."""
        for batch in self.batches():
            columns = [_pylist(batch.column(i)) for i in range(batch.num_columns)]
            yield from (list(row) for row in zip(*columns, strict=True))


def run(sql: str, store: str | Path | None, endpoint_url: str | None = None) -> Result:
    """Run ``sql`` over the store; QueryError (exit 2) naming the views when DuckDB refuses."""
    import duckdb
    import pyarrow as pa

    found = catalog(store, endpoint_url)
    con = connect(found)
    try:
        relation = con.sql(sql)
        if relation is None:
            raise QueryError("the statement returns no rows", hint="give a SELECT")
        columns = list(relation.columns)
        types = [str(t) for t in relation.types]
        reader = relation.to_arrow_reader(BATCH_ROWS)
    except (
        duckdb.ParserException,
        duckdb.BinderException,
        duckdb.CatalogException,
        duckdb.ConversionException,
        duckdb.NotImplementedException,
        duckdb.PermissionException,
    ) as exc:
        raise QueryError(mask(_first_line(exc)), hint="views: " + ", ".join(found.views)) from None
    except (duckdb.Error, pa.ArrowException, OSError) as exc:
        raise _scan_error(found, exc) from None
    return Result(columns, types, reader, found)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _scan_error(found: Catalog, exc: BaseException) -> Exception:
    """The error of a failed scan: StoreError naming the first unreadable file, if one is."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for kind in found.views:
        for path in found.files.get(kind, []):
            try:
                with found.location.fs.open_input_file(path) as handle:
                    pq.read_metadata(handle)
            except (pa.ArrowException, OSError) as bad:
                return StoreError(
                    f"cannot read {found.location.show(path)}: {mask(_first_line(bad))}",
                    hint="the file is damaged; move it away (nothing was deleted) and "
                    "download or import it again",
                )
    message = mask(_first_line(exc))
    import duckdb

    if isinstance(exc, duckdb.Error) and not isinstance(exc, duckdb.IOException):
        return QueryError(message, hint="views: " + ", ".join(found.views))
    return StoreError(f"query failed: {message}")


def _pylist(array: pa.Array | pa.ChunkedArray) -> list[Any]:
    """Python values, timestamps as ISO strings in UTC (nanoseconds kept when present)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(array.type):
        ns = pc.cast(pc.cast(array, pa.timestamp("ns", tz=array.type.tz)), pa.int64())
        return [None if v is None else iso_ns(v) for v in ns.to_pylist()]
    return list(array.to_pylist())


def iso_ns(ts_ns: int) -> str:
    """``2025-12-01T00:00:00.000Z``; nine fraction digits when the time has sub-ms parts."""
    seconds, frac = divmod(ts_ns, 1_000_000_000)
    base = dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if frac % 1_000_000:
        return f"{base}.{frac:09d}Z"
    return f"{base}.{frac // 1_000_000:03d}Z"


def text(value: Any) -> str | None:
    """A cell as text (None stays None): decimals exact without padding zeros."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def decimal_text(value: Decimal) -> str:
    """``63538.640000000000000000`` -> ``63538.64`` (the same number, never an exponent)."""
    if not value.is_finite():
        return str(value)
    out = format(value.normalize(), "f")
    return "0" if out in ("-0", "") else out


def json_value(value: Any) -> Any:
    """A cell as a JSON value: decimals as strings, numbers and null as themselves."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return text(value)
