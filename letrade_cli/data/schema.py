"""The store's kinds of data and their Arrow schemas: one layout for every source.

Every kind has ``ts``, a nanosecond UTC timestamp (a candle's open time; a quote's or trade's
event time, else its receive time). Prices and sizes are ``decimal128(38, 18)``: a price read
from the store is the exact decimal the venue sent (no float drift), and DuckDB sums them
exactly. Readers that want speed cast them to float64 (``pyarrow.compute.cast``).

Kinds: ``quotes`` (best bid/ask), ``trades``, ``aggtrades``, ``candles_<interval>``
(``candles_1m``, ``candles_1h``, ``candles_1d``, ...) and ``depth`` (price levels).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from letrade_cli.core.errors import UsageError

if TYPE_CHECKING:
    import pyarrow as pa

DECIMAL_PRECISION, DECIMAL_SCALE = 38, 18
INTERVAL_RE = re.compile(r"^(\d+)([smhdwM])$")
UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
MONTH_MS = 30 * 86_400_000  # nominal, for ordering only: months are calendar months
BASE_KINDS = ("quotes", "trades", "aggtrades", "depth")

# (column, type name) per kind; "dec" = decimal128(38, 18), "ts" = timestamp[ns, UTC].
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "quotes": (
        ("ts", "ts"),
        ("recv_ts", "ts"),
        ("bid", "dec"),
        ("bid_size", "dec"),
        ("ask", "dec"),
        ("ask_size", "dec"),
        ("update_id", "int64"),
    ),
    "trades": (
        ("ts", "ts"),
        ("trade_id", "int64"),
        ("price", "dec"),
        ("size", "dec"),
        ("side", "string"),  # the taker's side: buy | sell
    ),
    "aggtrades": (
        ("ts", "ts"),
        ("agg_id", "int64"),
        ("price", "dec"),
        ("size", "dec"),
        ("first_trade_id", "int64"),
        ("last_trade_id", "int64"),
        ("side", "string"),
    ),
    "candles": (
        ("ts", "ts"),
        ("open", "dec"),
        ("high", "dec"),
        ("low", "dec"),
        ("close", "dec"),
        ("volume", "dec"),
        ("quote_volume", "dec"),
        ("trades", "int64"),
    ),
    "depth": (
        ("ts", "ts"),
        ("recv_ts", "ts"),
        ("side", "string"),  # bid | ask
        ("price", "dec"),
        ("size", "dec"),
        ("update_id", "int64"),
    ),
}


def interval_ms(interval: str) -> int:
    """``1m`` -> 60000 (a month counts as 30 days, for ordering and pacing only)."""
    match = INTERVAL_RE.match(interval)
    if not match or int(match[1]) <= 0:
        raise UsageError(
            f"unknown interval {interval!r}",
            hint="use a number and a unit: 1s, 1m, 5m, 1h, 4h, 1d, 1w, 1M",
        )
    count, unit = int(match[1]), match[2]
    return count * (MONTH_MS if unit == "M" else UNIT_MS[unit])


def check_kind(kind: str) -> str:
    """Validate a store kind (``quotes``, ``trades``, ``aggtrades``, ``depth``, ``candles_1m``).

    ``candles:1m`` (``data download``'s spelling) and ``aggTrades`` are the same kinds.
    """
    kind = kind.replace("candles:", "candles_", 1) if kind.startswith("candles:") else kind
    kind = "aggtrades" if kind == "aggTrades" else kind
    if kind in BASE_KINDS:
        return kind
    if kind.startswith("candles_"):
        interval_ms(kind[len("candles_") :])
        return kind
    raise UsageError(
        f"unknown kind {kind!r}",
        hint="use quotes, trades, aggtrades, depth or candles_<interval> (candles_1m)",
    )


def family(kind: str) -> str:
    """The column family of a kind: ``candles_1h`` -> ``candles``."""
    return "candles" if kind.startswith("candles_") else kind


def decimal_type() -> pa.DataType:
    """The Arrow type of every price and size."""
    import pyarrow as pa

    return pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE)


def schema(kind: str) -> pa.Schema:
    """The Arrow schema of a kind's files (partition columns are not stored in the files)."""
    import pyarrow as pa

    types: dict[str, Any] = {
        "ts": pa.timestamp("ns", tz="UTC"),
        "dec": decimal_type(),
        "int64": pa.int64(),
        "string": pa.string(),
    }
    return pa.schema([(name, types[kind_]) for name, kind_ in COLUMNS[family(check_kind(kind))]])


def table(kind: str, columns: dict[str, list[Any]]) -> pa.Table:
    """An Arrow table of ``kind`` from Python columns (decimals as str/Decimal, ts as int ns).

    Missing optional columns are nulls. Values that do not fit the schema raise UsageError
    naming the column.
    """
    import pyarrow as pa

    target = schema(kind)
    length = max((len(v) for v in columns.values()), default=0)
    arrays = []
    for field in target:
        values = columns.get(field.name)
        if values is None:
            arrays.append(pa.nulls(length, field.type))
            continue
        try:
            if pa.types.is_decimal(field.type):
                text = pa.array([None if v is None else str(v) for v in values], pa.string())
                arrays.append(text.cast(field.type))
            elif pa.types.is_timestamp(field.type):
                arrays.append(pa.array(values, pa.int64()).cast(field.type))
            else:
                arrays.append(pa.array(values, field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
            raise UsageError(f"{kind}.{field.name}: {exc}".splitlines()[0]) from None
    return pa.Table.from_arrays(arrays, schema=target)
