"""Collector candles into the store (data.imports): exact values, merges, bad lines."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from letrade_cli.data.imports import NothingToImportError, import_collector, kind_of, parse_line
from letrade_cli.data.store import Store

START_MS = 1_763_769_600_000  # 2025-11-22T00:00:00Z

amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("9999999999"), places=18)


def test_units_map_to_store_kinds() -> None:
    assert [kind_of(u) for u in ("1m", "5m", "60m", "240m", "1d")] == [
        "candles_1m", "candles_5m", "candles_1h", "candles_4h", "candles_1d",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"o": "1"}', "no 't'"),
        (b'{"t": "soon", "o": "1"}', "'t' is not an integer"),
        (b'{"t": 1, "o": "1", "h": "1", "l": "1", "c": "x", "v": "1"}', "'c' is not a number"),
        (b'{"t": 1, "o": "1", "h": "1", "l": "1", "c": "1"}', "no 'v'"),
        (b'{"t": 1, "o": "NaN", "h": "1", "l": "1", "c": "1", "v": "1"}', "not a finite"),
    ],
)
def test_bad_lines_say_what_is_wrong(line: bytes, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        parse_line(line)


def test_numbers_written_as_json_numbers_stay_exact() -> None:
    row = parse_line(b'{"t": 1, "o": 0.1, "h": 1e-7, "l": 3, "c": 2.50, "v": 1, "n": 12}')
    assert (row["open"], row["high"], row["low"], row["close"]) == ("0.1", "0.0000001", "3", "2.50")
    assert row["quote_volume"] is None and row["trades"] == 12


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(amounts, amounts), min_size=1, max_size=30))
def test_round_trip_is_exact(tmp_path_factory: pytest.TempPathFactory, values: list) -> None:
    src = tmp_path_factory.mktemp("collector")
    folder = src / "venue=sim/market=AAA-BBB/date=2025-11-22"
    folder.mkdir(parents=True)
    lines = [
        json.dumps(
            {
                "t": START_MS + i * 60_000,
                "o": str(p),
                "h": str(p),
                "l": str(p),
                "c": str(p),
                "v": str(v),
                "qv": str(v),
            }
        )
        for i, (p, v) in enumerate(values)
    ]
    (folder / "candles-1m-20251122T0000.jsonl").write_text("\n".join(lines))
    store = Store(tmp_path_factory.mktemp("store"))
    report = import_collector(str(src), store.root)
    assert (report.files, report.candles, report.bad_lines) == (1, len(values), 0)
    back = store.read("sim", "candles_1m", ["AAA-BBB"])
    assert back.column("close").to_pylist() == [p for p, _ in values]
    assert back.column("quote_volume").to_pylist() == [v for _, v in values]
    assert pc.cast(back["ts"], "int64").to_pylist() == [
        (START_MS + i * 60_000) * 1_000_000 for i in range(len(values))
    ]


def test_import_keeps_rows_it_does_not_replace(tmp_path: Path) -> None:
    folder = tmp_path / "src/venue=sim/market=X/date=2025-11-22"
    folder.mkdir(parents=True)
    line = '{{"t": {t}, "o": "1", "h": "1", "l": "1", "c": "{c}", "v": "1"}}'
    (folder / "candles-1m-20251122T0000.jsonl").write_text(
        "\n".join(line.format(t=START_MS + i * 60_000, c=i) for i in range(3))
    )
    store = Store(tmp_path / "data")
    import_collector(str(tmp_path / "src"), store.root)
    (folder / "candles-1m-20251122T0000.jsonl").write_text(line.format(t=START_MS, c="9"))
    (written,) = import_collector(str(tmp_path / "src"), store.root).partitions
    assert (written.imported, written.added, written.total, written.written) == (1, 0, 3, True)
    closes = store.read("sim", "candles_1m").column("close").to_pylist()
    assert closes == [Decimal(9), Decimal(1), Decimal(2)]


def test_nothing_to_import_names_the_layout(tmp_path: Path) -> None:
    (tmp_path / "venue=sim").mkdir()
    (tmp_path / "venue=sim" / "notes.jsonl").write_text("{}")
    with pytest.raises(NothingToImportError, match="no data-collector candle files") as err:
        import_collector(str(tmp_path), tmp_path / "data")
    assert err.value.exit_code == 2 and "venue=V/market=M" in str(err.value.hint)
