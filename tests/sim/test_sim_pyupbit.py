"""Upbit conformance: pyupbit, an independent client, reads and trades on the sim over real HTTP.

pyupbit hardcodes ``https://api.upbit.com``. Every ``requests.Session`` it creates gets a
transport adapter mounted for that prefix which rewrites the URL to the sim's
``http://127.0.0.1:PORT`` and sends it with requests' own HTTP adapter: headers, bodies, JWTs and
parameter encodings are exactly what pyupbit sends to Upbit.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from letrade_cli.sim.server import SimConfig, SimExchange

pyupbit = pytest.importorskip("pyupbit")
# The sim's documented default secret is short; PyJWT warns about that on every token.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:jwt")

UPBIT = "https://api.upbit.com"


class ToSim(HTTPAdapter):
    """Sends ``https://api.upbit.com/...`` to the sim over plain HTTP on loopback."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        assert request.url is not None
        request.url = self.base + request.url[len(UPBIT) :]
        return super().send(request, *args, **kwargs)


class SimThread:
    """The sim on its own event loop in a thread (pyupbit is synchronous)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.sim = SimExchange(SimConfig(rate=2000.0, seed=11, port=0))
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> SimExchange:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.sim.start(), self.loop).result(10)
        return self.sim

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.sim.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    def call(self, fn: Any) -> Any:
        """Run ``fn()`` on the sim's loop (to read its state safely)."""

        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)


@pytest.fixture(scope="module")
def upbit_sim() -> Iterator[tuple[SimThread, SimExchange]]:
    box = SimThread()
    with box as sim:
        original = requests.Session.__init__

        def init(self: requests.Session) -> None:
            original(self)
            self.mount(UPBIT, ToSim(sim.rest_url))

        requests.Session.__init__ = init  # type: ignore[method-assign]
        try:
            yield box, sim
        finally:
            requests.Session.__init__ = original  # type: ignore[method-assign]


def test_public_calls_read_the_sim(upbit_sim: tuple[SimThread, SimExchange]) -> None:
    _, sim = upbit_sim
    tickers = pyupbit.get_tickers(fiat="KRW")
    assert "KRW-BTC" in tickers and "KRW-ETH" in tickers
    assert set(tickers) == {m for m in sim.markets("upbit") if m.startswith("KRW-")}
    one = pyupbit.get_current_price("KRW-BTC")
    assert isinstance(one, float) and one > 1_000_000
    several = pyupbit.get_current_price(["KRW-BTC", "KRW-ETH", "KRW-XRP"])
    assert set(several) == {"KRW-BTC", "KRW-ETH", "KRW-XRP"}
    df = pyupbit.get_ohlcv("KRW-BTC", interval="minute1", count=30)
    assert df is not None and len(df) == 30
    assert (df["high"] >= df["low"]).all()
    book = pyupbit.get_orderbook("KRW-BTC")
    units = book["orderbook_units"]
    assert units[0]["ask_price"] > units[0]["bid_price"]
    books = pyupbit.get_orderbook(["KRW-BTC", "KRW-ETH"])
    assert [b["market"] for b in books] == ["KRW-BTC", "KRW-ETH"]


def test_upbit_client_places_reads_and_cancels_an_order(
    upbit_sim: tuple[SimThread, SimExchange],
) -> None:
    box, sim = upbit_sim
    upbit = pyupbit.Upbit("letrade-sim-key", "letrade-sim-secret")
    krw = upbit.get_balance("KRW")
    assert krw == pytest.approx(10_000_000)
    assert upbit.get_balance("KRW-BTC") == pytest.approx(0.1)
    bid = box.call(lambda: sim.engine.feed("KRW-BTC", 0).book.best_bid())
    tick = sim.engine.feeds["KRW-BTC"].market.tick
    price = (Decimal(bid) - 200) * tick  # well below the market: it rests
    placed = upbit.buy_limit_order("KRW-BTC", str(price), "0.001")
    assert placed["state"] == "wait", placed
    assert Decimal(placed["locked"]) > price * Decimal("0.001")
    assert upbit.get_balance("KRW") < krw
    again = upbit.get_order(placed["uuid"])
    assert again["uuid"] == placed["uuid"] and again["state"] == "wait"
    assert again["trades"] == []
    waiting = upbit.get_order("KRW-BTC")
    assert [o["uuid"] for o in waiting] == [placed["uuid"]]
    chance = upbit.get_chance("KRW-BTC")
    assert chance["bid_account"]["currency"] == "KRW"
    cancelled = upbit.cancel_order(placed["uuid"])
    assert cancelled["uuid"] == placed["uuid"]
    assert upbit.get_order(placed["uuid"])["state"] == "cancel"
    assert upbit.get_balance("KRW") == pytest.approx(krw)
    assert upbit.get_order("KRW-BTC") == []


def test_upbit_market_orders_move_balances(upbit_sim: tuple[SimThread, SimExchange]) -> None:
    upbit = pyupbit.Upbit("letrade-sim-key", "letrade-sim-secret")
    krw0 = Decimal(str(upbit.get_balance("KRW")))
    btc0 = Decimal(str(upbit.get_balance("KRW-BTC")))
    bought = upbit.buy_market_order("KRW-BTC", 100_000)
    assert bought["ord_type"] == "price", bought
    done = upbit.get_order(bought["uuid"])
    assert done["state"] in ("done", "cancel") and done["trades"]
    got = sum(Decimal(t["volume"]) for t in done["trades"])
    spent = sum(Decimal(t["funds"]) for t in done["trades"]) + Decimal(done["paid_fee"])
    assert Decimal(str(upbit.get_balance("KRW-BTC"))) == btc0 + got
    assert Decimal(str(upbit.get_balance("KRW"))) == pytest.approx(krw0 - spent)
    prices = [Decimal(t["price"]) for t in done["trades"]]
    assert min(prices) <= Decimal(str(upbit.get_avg_buy_price("KRW-BTC"))) <= max(prices)
    finished = upbit.get_order("KRW-BTC", state=done["state"])
    assert bought["uuid"] in [o["uuid"] for o in finished]
    sold = upbit.sell_market_order("KRW-BTC", str(got))
    assert sold["ord_type"] == "market", sold
    assert Decimal(str(upbit.get_balance("KRW-BTC"))) == btc0


def test_wrong_secret_is_refused_the_way_pyupbit_understands(
    upbit_sim: tuple[SimThread, SimExchange],
) -> None:
    from pyupbit.request_api import _send_get_request

    bad = pyupbit.Upbit("letrade-sim-key", "not-the-secret")
    with pytest.raises(pyupbit.errors.JwtVerification):
        _send_get_request(f"{UPBIT}/v1/accounts", headers=bad._request_headers())
    other = pyupbit.Upbit("someone-else", "letrade-sim-secret")
    resp = requests.get(f"{UPBIT}/v1/accounts", headers=other._request_headers(), timeout=5)
    assert resp.status_code == 401
    assert resp.json()["error"]["name"] == "invalid_access_key"
