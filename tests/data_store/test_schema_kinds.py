"""Store kinds: one spelling per kind, whichever the user types (issue 18)."""

from __future__ import annotations

import pytest

from letrade_cli.core.errors import UsageError
from letrade_cli.data.schema import check_kind


@pytest.mark.parametrize(
    ("typed", "kind"),
    [("candles:1m", "candles_1m"), ("candles_1h", "candles_1h"), ("aggTrades", "aggtrades"),
     ("quotes", "quotes")],
)  # fmt: skip
def test_download_and_store_spellings_name_the_same_kind(typed: str, kind: str) -> None:
    assert check_kind(typed) == kind


def test_an_unknown_kind_names_the_valid_ones() -> None:
    with pytest.raises(UsageError, match="unknown kind 'candles'"):
        check_kind("candles")
