from __future__ import annotations

from typing import Any

import pytest

from tests.venues.recorded import frames, rest_answer


@pytest.fixture(scope="session")
def binance_frames() -> list[bytes | str]:
    return frames("binance.ws.txt")


@pytest.fixture(scope="session")
def upbit_frames() -> list[bytes | str]:
    return frames("upbit.ws.txt")


@pytest.fixture(scope="session")
def binance_exchange_info() -> Any:
    return rest_answer("binance.exchangeInfo.txt")


@pytest.fixture(scope="session")
def upbit_market_all() -> Any:
    return rest_answer("upbit.market_all.txt")
