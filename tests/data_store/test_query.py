"""SQL over the store (data.query): views per kind, exact decimals, clear errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from letrade_cli.data import query
from letrade_cli.data.location import mask
from letrade_cli.data.schema import table
from letrade_cli.data.store import Store, StoreError

T0 = 1_764_547_200_000_000_000  # 2025-12-01T00:00:00Z
DAY = 86_400_000_000_000

decimals = st.decimals(
    min_value=Decimal("-99999999"), max_value=Decimal("99999999"), places=18, allow_nan=False
)


@settings(max_examples=40, deadline=None)
@given(st.lists(decimals, min_size=1, max_size=40), st.integers(0, 3))
def test_sums_over_days_and_symbols_are_exact(
    tmp_path_factory: pytest.TempPathFactory, prices: list[Decimal], spread_days: int
) -> None:
    store = Store(tmp_path_factory.mktemp("store"))
    n = len(prices)
    step = (spread_days * DAY) // n
    for symbol in ("AAA", "BBB"):
        ts = [T0 + i * step for i in range(n)]
        data = table("trades", {"ts": ts, "price": prices, "size": ["1"] * n, "side": ["buy"] * n})
        store.write("sim", "trades", symbol, data)
    result = query.run(
        "SELECT symbol, sum(price) AS total, count(DISTINCT date) AS days FROM trades "
        "GROUP BY symbol ORDER BY symbol",
        store.root,
    )
    rows = list(result.rows())
    assert [r[0] for r in rows] == ["AAA", "BBB"]
    assert all(r[1] == sum(prices) for r in rows)
    assert rows[0][2] == len({(T0 + i * step) // DAY for i in range(n)})


def test_every_base_kind_is_a_view_even_when_empty(tmp_path: Path) -> None:
    Store(tmp_path).write("sim", "candles_4h", "BTCUSDT",
                          table("candles_4h", {"ts": [T0], "open": ["1"]}))  # fmt: skip
    found = query.catalog(tmp_path)
    assert found.views == ["quotes", "trades", "aggtrades", "depth", "candles_1m", "candles_4h"]
    columns = query.run("SELECT * FROM candles_4h", tmp_path).columns
    assert columns[-3:] == ["venue", "symbol", "date"]
    assert list(query.run("SELECT count(*) FROM quotes", tmp_path).rows()) == [[0]]


def test_sql_errors_list_the_views(tmp_path: Path) -> None:
    with pytest.raises(query.QueryError) as err:
        query.run("SELECT * FROM candles_2m", tmp_path)
    assert err.value.exit_code == 2
    assert "Catalog Error" in err.value.message and "\n" not in err.value.message
    assert err.value.hint == "views: quotes, trades, aggtrades, depth, candles_1m"


def test_a_damaged_file_is_named(tmp_path: Path) -> None:
    store = Store(tmp_path)
    (path,) = store.write("sim", "trades", "X", table("trades", {"ts": [T0], "price": ["1"]}))
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(StoreError, match=r"cannot read .*data\.parquet"):
        list(query.run("SELECT * FROM trades", tmp_path).rows())
    assert path.exists()


def test_text_renders_exact_decimals_and_ns_times() -> None:
    assert query.decimal_text(Decimal("63538.640000000000000000")) == "63538.64"
    assert query.decimal_text(Decimal("100E+0")) == "100"
    assert query.decimal_text(Decimal("0E-18")) == "0"
    assert query.decimal_text(Decimal("0.000000000000000001")) == "0.000000000000000001"
    assert query.iso_ns(T0 + 5_000_000) == "2025-12-01T00:00:00.005Z"
    assert query.iso_ns(T0 + 7) == "2025-12-01T00:00:00.000000007Z"


def test_mask_hides_url_credentials_and_aws_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI-secret")
    text = "cannot list http://me:pa55word@127.0.0.1:9000/x with wJalrXUtnFEMI-secret"
    assert mask(text) == "cannot list http://***@127.0.0.1:9000/x with ***"
