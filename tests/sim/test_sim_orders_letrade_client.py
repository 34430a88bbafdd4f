"""Letrade's own signed RestClient (Binance HMAC, Upbit JWT) against the sim's order routes."""

from __future__ import annotations

import pytest

from letrade_cli.connector.rest import RestClient
from letrade_cli.core.errors import ExchangeRejectedError, OutcomeUnknownError, RateLimitedError
from letrade_cli.sim.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET
from letrade_cli.sim.server import SimExchange
from letrade_cli.venues.base import RestRequest
from letrade_cli.venues.binance.auth import BinanceSigner
from letrade_cli.venues.upbit.auth import UpbitSigner

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:jwt")

ORDER = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
         "quantity": "0.01", "price": "30000", "newClientOrderId": "lt-1"}  # fmt: skip


def signed(path: str, params: dict[str, str], method: str = "GET") -> RestRequest:
    return RestRequest(path, params, method=method, signed=True)


async def test_binance_signer_places_finds_and_cancels(sim: SimExchange) -> None:
    signer = BinanceSigner(DEFAULT_API_KEY, DEFAULT_API_SECRET)
    async with RestClient(sim.rest_url, signer=signer) as client:
        placed = await client.request(signed("/api/v3/order", ORDER, "POST"))
        assert placed["status"] == "NEW"
        lookup = {"symbol": "BTCUSDT", "origClientOrderId": "lt-1"}
        assert (await client.request(signed("/api/v3/order", lookup)))["orderId"] == placed[
            "orderId"
        ]
        with pytest.raises(ExchangeRejectedError) as rejected:
            await client.request(signed("/api/v3/order", ORDER, "POST"))
        assert rejected.value.code == -2010
        sim.fail_next_orders(1, after_accept=True)
        with pytest.raises(OutcomeUnknownError):
            await client.request(signed("/api/v3/order", lookup, "DELETE"))
        assert (await client.request(signed("/api/v3/order", lookup)))["status"] == "CANCELED"
        sim.throttle_next_orders(1, retry_after_s=2)
        with pytest.raises(RateLimitedError) as limited:
            await client.request(
                signed("/api/v3/order", {**ORDER, "newClientOrderId": "x"}, "POST")
            )
        assert limited.value.retry_after == 2.0


async def test_upbit_signer_places_finds_and_cancels(sim: SimExchange) -> None:
    signer = UpbitSigner(DEFAULT_API_KEY, DEFAULT_API_SECRET)
    order = {"market": "KRW-BTC", "side": "bid", "ord_type": "limit", "volume": "0.001",
             "price": "10000000", "identifier": "lt-u1"}  # fmt: skip
    async with RestClient(sim.rest_url, signer=signer) as client:
        placed = await client.request(signed("/v1/orders", order, "POST"))
        assert placed["state"] == "wait"
        got = await client.request(signed("/v1/order", {"identifier": "lt-u1"}))
        assert got["uuid"] == placed["uuid"]
        await client.request(signed("/v1/order", {"uuid": placed["uuid"]}, "DELETE"))
        got = await client.request(signed("/v1/order", {"uuid": placed["uuid"]}))
        assert got["state"] == "cancel"
        with pytest.raises(ExchangeRejectedError) as rejected:
            await client.request(signed("/v1/order", {"uuid": "not-a-uuid"}))
        assert rejected.value.code == "order_not_found"
