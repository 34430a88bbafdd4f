"""The Parquet store: layout, exact decimals, files that appear only complete."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from letrade_cli.core.errors import UsageError
from letrade_cli.data.schema import table
from letrade_cli.data.store import Store, StoreError

DAY = 86_400_000_000_000
T0 = 1_764_547_200_000_000_000  # 2025-12-01T00:00:00Z


def candles(n: int, start: int = T0, step: int = 60_000_000_000) -> object:
    return table(
        "candles_1m",
        {
            "ts": [start + i * step for i in range(n)],
            "open": ["63538.64"] * n,
            "high": ["63600.1"] * n,
            "low": ["63500"] * n,
            "close": [f"63538.{i % 100:02d}" for i in range(n)],
            "volume": ["0.00000001"] * n,
            "trades": [i for i in range(n)],
        },
    )


def test_rows_are_split_by_utc_day_into_hive_partitions(tmp_path: Path) -> None:
    store = Store(tmp_path)
    paths = store.write("sim", "candles_1m", "BTCUSDT", candles(3000))
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        f"venue=sim/kind=candles_1m/symbol=BTCUSDT/date=2025-12-0{d}/data.parquet"
        for d in (1, 2, 3)
    ]
    (held,) = store.holdings()
    assert held.as_dict() | {"bytes": 0} == {
        "venue": "sim", "kind": "candles_1m", "symbol": "BTCUSDT",
        "first": "2025-12-01T00:00:00.000Z", "last": "2025-12-03T01:59:00.000Z",
        "rows": 3000, "bytes": 0, "files": 3,
    }  # fmt: skip


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("99999999"), places=8),
        min_size=1,
        max_size=50,
    )
)
def test_prices_round_trip_exactly(tmp_path_factory: pytest.TempPathFactory, prices: list) -> None:
    store = Store(tmp_path_factory.mktemp("store"))
    n = len(prices)
    data = table("trades", {"ts": [T0 + i for i in range(n)], "trade_id": list(range(n)),
                            "price": prices, "size": prices, "side": ["buy"] * n})  # fmt: skip
    store.write("sim", "trades", "BTCUSDT", data)
    back = store.read("sim", "trades", ["BTCUSDT"])
    assert back.column("price").to_pylist() == prices


def test_read_filters_symbols_and_time_and_orders_by_time(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.write("sim", "candles_1m", "BTCUSDT", candles(10))
    store.write("sim", "candles_1m", "ETHUSDT", candles(10, start=T0 + 30_000_000_000))
    minute = 60_000_000_000
    both = store.read("sim", "candles_1m", start_ns=T0 + minute, end_ns=T0 + 3 * minute)
    assert both.column("symbol").to_pylist() == ["BTCUSDT", "ETHUSDT", "BTCUSDT", "ETHUSDT"]
    assert store.read("sim", "candles_1m", ["XRPUSDT"]).num_rows == 0


def test_a_failed_write_leaves_the_previous_file_and_no_visible_temp(tmp_path: Path) -> None:
    store = Store(tmp_path)
    (path,) = store.write("sim", "candles_1m", "BTCUSDT", candles(5))
    before = path.read_bytes()

    class Boom(Exception):
        pass

    import pyarrow.parquet as pq

    real = pq.write_table

    def half_then_fail(data: object, where: object, **kw: object) -> None:
        Path(str(where)).write_bytes(b"PAR1 half a file")
        raise Boom

    pq.write_table = half_then_fail  # type: ignore[assignment]
    try:
        with pytest.raises(Boom):
            store.write("sim", "candles_1m", "BTCUSDT", candles(7))
    finally:
        pq.write_table = real
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["data.parquet"]
    assert store.read("sim", "candles_1m").num_rows == 5


def test_a_truncated_file_is_one_clear_error_and_is_kept(tmp_path: Path) -> None:
    store = Store(tmp_path)
    (path,) = store.write("sim", "candles_1m", "BTCUSDT", candles(5))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(StoreError, match=r"cannot read .*data\.parquet") as err:
        store.read("sim", "candles_1m")
    assert "\n" not in str(err.value)
    with pytest.raises(StoreError):
        store.holdings()
    assert path.exists()


def test_a_store_path_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        Store(tmp_path / "f")


def test_unknown_kinds_and_intervals_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown interval '7x'"):
        Store(tmp_path).partition("sim", "candles_7x", "BTCUSDT", "2025-12-01")
    with pytest.raises(UsageError, match="unknown kind 'ticks'"):
        Store(tmp_path).partition("sim", "ticks", "BTCUSDT", "2025-12-01")
