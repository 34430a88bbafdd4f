"""`letrade data ls|query|import`, run as a user would (``python -m letrade_cli``)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from letrade_cli.data.schema import table
from letrade_cli.data.store import Store
from letrade_cli.functions.data_collector import group_candles

T0 = 1_764_547_200_000_000_000  # 2025-12-01T00:00:00Z
MIN = 60_000_000_000
DAY = 86_400_000_000_000
PRICES = ["63538.64", "0.000000000000000001", "99999999.123456789012345678", "1.1", "2.2"]

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """``letrade ARGS`` in a clean environment (no TTY, NO_COLOR, empty home)."""
    home = tmp_path / "home"
    home.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LETRADE_", "XDG_", "AWS_"))}
    base |= {"HOME": str(home), "NO_COLOR": "1", "COLUMNS": "100"}

    def letrade(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "letrade_cli", *args],
            cwd=tmp_path,
            env=base | (env or {}),
            capture_output=True,
            text=True,
            timeout=120,
        )

    return letrade


def fill(root: Path) -> Store:
    """Two symbols of 1m candles over two days, and one trade."""
    store = Store(root)
    for symbol, n in (("BTCUSDT", 5), ("ETHUSDT", 3)):
        store.write(
            "sim",
            "candles_1m",
            symbol,
            table(
                "candles_1m",
                {
                    "ts": [T0 + i * DAY // 2 for i in range(n)],
                    "open": PRICES[:n],
                    "high": PRICES[:n],
                    "low": PRICES[:n],
                    "close": PRICES[:n],
                    "volume": ["0.5"] * n,
                    "trades": list(range(n)),
                },
            ),
        )
    store.write(
        "sim",
        "trades",
        "BTCUSDT",
        table(
            "trades",
            {
                "ts": [T0 + 123],
                "trade_id": [7],
                "price": ["63538.64"],
                "size": ["0.001"],
                "side": ["buy"],
            },
        ),
    )
    return store


# -- ls --------------------------------------------------------------------------------------
def test_ls_lists_one_row_per_venue_kind_and_symbol(run: Run, tmp_path: Path) -> None:
    fill(tmp_path / "data")
    done = run("data", "ls", "--store", str(tmp_path / "data"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == [
        "venue",
        "kind",
        "symbol",
        "first",
        "last",
        "rows",
        "bytes",
        "files",
    ]
    rows = [line.split() for line in lines[1:]]
    assert [r[:3] for r in rows] == [
        ["sim", "candles_1m", "BTCUSDT"],
        ["sim", "candles_1m", "ETHUSDT"],
        ["sim", "trades", "BTCUSDT"],
    ]
    btc = rows[0]
    assert btc[3:6] == ["2025-12-01T00:00:00.000Z", "2025-12-03T00:00:00.000Z", "5"]
    assert btc[7] == "3"  # three days
    assert int(btc[6]) > 0  # exact bytes when not on a terminal

    listed = json.loads(run("data", "ls", "--store", str(tmp_path / "data"), "--json").stdout)
    assert listed[0]["bytes"] == int(btc[6]) and listed[0]["rows"] == 5
    only = run("data", "ls", "--store", str(tmp_path / "data"), "--kind", "trades", "--json")
    assert [(r["kind"], r["symbol"]) for r in json.loads(only.stdout)] == [("trades", "BTCUSDT")]
    eth = run("data", "ls", "--store", str(tmp_path / "data"), "--symbol", "ETHUSDT")
    assert [line.split()[2] for line in eth.stdout.splitlines()[1:]] == ["ETHUSDT"]


def test_ls_of_an_empty_store_says_how_to_fill_it(run: Run, tmp_path: Path) -> None:
    done = run("data", "ls", "--store", str(tmp_path / "nothing-yet"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1
    assert "holds nothing" in done.stdout
    for command in ("data download", "data record", "data import"):
        assert command in done.stdout
    as_json = run("data", "ls", "--store", str(tmp_path / "nothing-yet"), "--json")
    assert json.loads(as_json.stdout) == [] and "holds nothing" in as_json.stderr


def test_a_store_path_that_is_a_file_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    for args in (("ls",), ("query", "SELECT 1")):
        done = run("data", *args, "--store", str(tmp_path / "file"))
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and "is a file" in done.stderr
        assert "Traceback" not in done.stderr


# -- query -----------------------------------------------------------------------------------
def test_query_sums_are_the_exact_decimals_written(run: Run, tmp_path: Path) -> None:
    fill(tmp_path / "data")
    sql = (
        "SELECT symbol, sum(close) AS total, count(*) AS n FROM candles_1m "
        "WHERE venue = 'sim' GROUP BY symbol ORDER BY symbol"
    )
    done = run("data", "query", sql, "--store", str(tmp_path / "data"), "--csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["symbol"], r["n"]) for r in rows] == [("BTCUSDT", "5"), ("ETHUSDT", "3")]
    assert Decimal(rows[0]["total"]) == sum(Decimal(p) for p in PRICES)
    assert rows[0]["total"] == "100063541.063456789012345679"
    assert Decimal(rows[1]["total"]) == sum(Decimal(p) for p in PRICES[:3])


def test_partition_columns_filter_in_where(run: Run, tmp_path: Path) -> None:
    fill(tmp_path / "data")
    sql = (
        "SELECT symbol, date, open FROM candles_1m WHERE symbol = 'BTCUSDT' "
        "AND date = DATE '2025-12-02' ORDER BY ts"
    )
    done = run("data", "query", sql, "--store", str(tmp_path / "data"), "--json")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert rows == [
        {"symbol": "BTCUSDT", "date": "2025-12-02", "open": "99999999.123456789012345678"},
        {"symbol": "BTCUSDT", "date": "2025-12-02", "open": "1.1"},
    ]


def test_query_json_csv_and_plain_shapes(run: Run, tmp_path: Path) -> None:
    fill(tmp_path / "data")
    store = str(tmp_path / "data")
    sql = "SELECT * FROM trades"
    line = run("data", "query", sql, "--store", store, "--json").stdout.splitlines()
    assert len(line) == 1
    assert json.loads(line[0]) == {
        "ts": "2025-12-01T00:00:00.000000123Z",
        "trade_id": 7,
        "price": "63538.64",
        "size": "0.001",
        "side": "buy",
        "venue": "sim",
        "symbol": "BTCUSDT",
        "date": "2025-12-01",
    }
    as_csv = run("data", "query", sql, "--store", store, "--csv").stdout.splitlines()
    assert as_csv == [
        "ts,trade_id,price,size,side,venue,symbol,date",
        "2025-12-01T00:00:00.000000123Z,7,63538.64,0.001,buy,sim,BTCUSDT,2025-12-01",
    ]
    plain = run("data", "query", sql, "--store", store).stdout.splitlines()
    assert plain[0].split() == [
        "ts",
        "trade_id",
        "price",
        "size",
        "side",
        "venue",
        "symbol",
        "date",
    ]
    assert plain[1].split()[2] == "63538.64"
    both = run("data", "query", sql, "--store", store, "--json", "--csv")
    assert both.returncode == 2 and "--json and --csv" in both.stderr


def test_an_empty_kind_is_an_empty_view(run: Run, tmp_path: Path) -> None:
    done = run(
        "data", "query", "SELECT count(*) AS n FROM depth", "--store", str(tmp_path), "--csv"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["n", "0"]


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        ("SELEC 1", "Parser Error"),
        ("SELECT nope FROM trades", "Binder Error"),
        ("SELECT * FROM candles_5m_typo", "Catalog Error"),
    ],
)
def test_sql_errors_are_one_line_with_the_views(
    run: Run, tmp_path: Path, sql: str, said: str
) -> None:
    fill(tmp_path / "data")
    done = run("data", "query", sql, "--store", str(tmp_path / "data"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert said in done.stderr
    assert "views: quotes, trades, aggtrades, depth, candles_1m" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_corrupted_file_is_named_and_kept(run: Run, tmp_path: Path) -> None:
    store = fill(tmp_path / "data")
    (bad,) = [f.path for f in store.files(kind="trades")]
    bad.write_bytes(b"PAR1 not really parquet")
    done = run("data", "query", "SELECT * FROM trades", "--store", str(tmp_path / "data"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and str(bad) in done.stderr
    assert "Traceback" not in done.stderr
    assert bad.read_bytes() == b"PAR1 not really parquet"
    listed = run("data", "ls", "--store", str(tmp_path / "data"))
    assert listed.returncode == 1 and str(bad) in listed.stderr
    other = run(
        "data", "query", "SELECT count(*) FROM candles_1m", "--store", str(tmp_path / "data")
    )
    assert other.returncode == 0 and other.stdout.split()[-1] == "8"  # the other views still work


# -- S3 (moto) -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing-key-id",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-value-123",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Any:
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    bucket = request.node.name.replace("_", "-")[:60].strip("-").lower()
    client.create_bucket(Bucket=bucket)
    client.bucket = bucket
    return client


def test_query_a_store_on_s3(run: Run, tmp_path: Path, s3: Any, moto_endpoint: str) -> None:
    fill(tmp_path / "data")
    for path in sorted((tmp_path / "data").rglob("*.parquet")):
        key = "stores/main/" + path.relative_to(tmp_path / "data").as_posix()
        s3.upload_file(str(path), s3.bucket, key)
    url = f"s3://{s3.bucket}/stores/main"
    sql = "SELECT symbol, sum(close) AS total FROM candles_1m GROUP BY symbol ORDER BY symbol"
    done = run(
        "data", "query", sql, "--store", url, "--endpoint-url", moto_endpoint, "--csv", env=AWS_ENV
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert Decimal(rows[0]["total"]) == sum(Decimal(p) for p in PRICES)
    # the endpoint from the environment, the partition columns in WHERE
    env = AWS_ENV | {"AWS_ENDPOINT_URL_S3": moto_endpoint}
    sql = "SELECT price FROM trades WHERE venue = 'sim' AND date = '2025-12-01'"
    by_env = run("data", "query", sql, "--store", url, "--json", env=env)
    assert by_env.returncode == 0, by_env.stderr
    assert [json.loads(x) for x in by_env.stdout.splitlines()] == [{"price": "63538.64"}]


def test_s3_errors_never_print_a_secret(run: Run, s3: Any, moto_endpoint: str) -> None:
    masked = moto_endpoint.replace("http://", "http://user:hunter2-secret@")
    done = run(
        "data", "query", "SELECT * FROM nope", "--store", f"s3://{s3.bucket}/x",
        "--endpoint-url", masked, env=AWS_ENV,
    )  # fmt: skip
    assert done.returncode == 2
    for secret in ("hunter2-secret", AWS_ENV["AWS_SECRET_ACCESS_KEY"]):
        assert secret not in done.stderr + done.stdout


def test_a_missing_bucket_or_endpoint_is_one_line(run: Run, s3: Any, moto_endpoint: str) -> None:
    missing = run(
        "data", "query", "SELECT 1", "--store", "s3://no-such-bucket-here/x",
        "--endpoint-url", moto_endpoint, env=AWS_ENV,
    )  # fmt: skip
    assert missing.returncode == 2
    assert (
        missing.stderr.count("\n") == 1 and "'no-such-bucket-here' does not exist" in missing.stderr
    )
    down = run(
        "data", "import", f"s3://{s3.bucket}/x", "--store", "unused",
        "--endpoint-url", "http://127.0.0.1:9", env=AWS_ENV,
    )  # fmt: skip
    assert down.returncode == 4, down.stderr
    assert down.stderr.count("\n") == 1 and "Traceback" not in down.stderr


# -- import ----------------------------------------------------------------------------------
def collector_candles(n: int, start_ms: int = 1_763_769_600_000) -> list[dict[str, Any]]:
    return [
        {
            "t": start_ms + i * 60_000,
            "o": f"{100 + i}.5",
            "h": f"{101 + i}.000000000000000001",
            "l": "99.25",
            "c": f"{100 + i}.75",
            "v": "0.00000001",
            "qv": f"{12345 + i}.6789",
        }
        for i in range(n)
    ]


def write_collector(root: Path, candles: list[dict[str, Any]], market: str = "KRW-BTC") -> None:
    for key, lines in group_candles("candles", "upbit", market, "1", candles).items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")


def stored(root: Path, symbol: str = "KRW-BTC") -> list[dict[str, Any]]:
    import pyarrow.compute as pc

    data = Store(root).read("upbit", "candles_1m", [symbol])
    data = data.set_column(0, "ts", pc.cast(data["ts"], "int64"))
    return data.to_pylist()


def same(rows: list[dict[str, Any]], candles: list[dict[str, Any]]) -> bool:
    want = [
        (c["t"] * 1_000_000, *(Decimal(c[k]) for k in ("o", "h", "l", "c", "v", "qv")))
        for c in candles
    ]
    got = [
        (
            r["ts"],
            *(r[k] for k in ("open", "high", "low", "close", "volume", "quote_volume")),
        )
        for r in rows
    ]
    return got == want and all(r["trades"] is None for r in rows)


def test_import_from_a_directory_round_trips_and_is_idempotent(run: Run, tmp_path: Path) -> None:
    candles = collector_candles(1500)  # crosses a UTC midnight: two partitions
    write_collector(tmp_path / "collector", candles)
    store = str(tmp_path / "data")
    done = run("data", "import", str(tmp_path / "collector"), "--store", store)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("venue=upbit kind=candles_1m symbol=KRW-BTC date=2025-11-22: ")
    assert "(1440 new)" in lines[0] and "(60 new)" in lines[1]
    assert lines[2].startswith("imported 1500 candles from 2 files into 2 partitions")
    assert same(stored(tmp_path / "data"), candles)

    again = run("data", "import", str(tmp_path / "collector"), "--store", store)
    assert again.returncode == 0, again.stderr
    assert "(0 new)" in again.stdout and "unchanged" in again.stdout
    assert same(stored(tmp_path / "data"), candles)

    # a later collection revises the last candle and adds one: merged, the newest value kept
    revised = [*candles[:-1], {**candles[-1], "c": "1.23"}, *collector_candles(1501)[-1:]]
    write_collector(tmp_path / "later", revised[-2:])
    done = run("data", "import", str(tmp_path / "later"), "--store", store)
    assert done.returncode == 0, done.stderr
    assert "2 candles (1 new), 61 rows" in done.stdout
    assert same(stored(tmp_path / "data"), revised)


def test_bad_lines_are_counted_not_fatal(run: Run, tmp_path: Path) -> None:
    candles = collector_candles(3)
    write_collector(tmp_path / "collector", candles)
    (path,) = (tmp_path / "collector").rglob("*.jsonl")
    path.write_text(path.read_text() + "not json\n" + '{"t": 1, "o": "x"}\n')
    done = run("data", "import", str(tmp_path / "collector"), "--store", str(tmp_path / "data"))
    assert done.returncode == 0, done.stderr
    summary = done.stdout.splitlines()[-1]
    assert "imported 3 candles" in summary and "2 bad lines skipped" in summary
    assert f"{path} line 4" in summary
    assert same(stored(tmp_path / "data"), candles)


def test_import_of_an_empty_prefix_names_the_layout(run: Run, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = run("data", "import", str(tmp_path / "empty"), "--store", str(tmp_path / "data"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "venue=V/market=M/date=YYYY-MM-DD/candles-1m-YYYYMMDDT0000.jsonl" in done.stderr
    assert not (tmp_path / "data").exists()


def test_import_from_s3_round_trips(run: Run, tmp_path: Path, s3: Any, moto_endpoint: str) -> None:
    candles = collector_candles(100)
    for key, lines in group_candles("collect", "upbit", "KRW-BTC", "1", candles).items():
        s3.put_object(Bucket=s3.bucket, Key=key, Body=("\n".join(lines) + "\n").encode())
    env = AWS_ENV | {"AWS_ENDPOINT_URL": moto_endpoint}
    url = f"s3://{s3.bucket}/collect"
    done = run("data", "import", url, "--store", str(tmp_path / "data"), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("imported 100 candles from 1 files")
    assert same(stored(tmp_path / "data"), candles)
    empty = run("data", "import", f"s3://{s3.bucket}/nothing", "--store", str(tmp_path), env=env)
    assert empty.returncode == 2 and f"s3://{s3.bucket}/nothing" in empty.stderr


def test_on_a_terminal_ls_shows_human_sizes(run: Run, tmp_path: Path) -> None:
    fill(tmp_path / "data")
    done = run(
        "data", "ls", "--store", str(tmp_path / "data"), env={"NO_COLOR": "", "FORCE_COLOR": "1"}
    )
    assert done.returncode == 0, done.stderr
    assert "KiB" in done.stdout and "candles_1m" in done.stdout
