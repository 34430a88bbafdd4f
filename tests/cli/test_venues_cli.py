"""`letrade venues`: the registered venues, as a table and as JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from letrade_cli.cli.app import app


def test_venues_json_lists_every_spec_with_its_capabilities() -> None:
    done = CliRunner().invoke(app, ["venues", "--json"])
    assert done.exit_code == 0, done.output
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert {"binance", "binance-testnet", "upbit", "sim"} <= set(rows)
    assert rows["sim"]["embedded"] is True
    assert rows["upbit"]["capabilities"]["market_buy_by_quote"] is True
    assert rows["binance"]["capabilities"]["server_clock_sync"] is True
    assert rows["upbit"]["symbol_format"]["separator"] == "-"


def test_venues_table_names_the_key_variables() -> None:
    done = CliRunner().invoke(app, ["venues"])
    assert done.exit_code == 0, done.output
    assert "UPBIT_ACCESS_KEY" in done.stdout
    assert "real" in done.stdout
