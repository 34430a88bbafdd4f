"""Venues as data, and the lookup from a venue name to its dialect."""

from __future__ import annotations

from letrade_cli.errors import UsageError
from letrade_cli.venues.base import Dialect, VenueSpec

VENUES: dict[str, VenueSpec] = {
    "binance": VenueSpec(
        name="binance",
        dialect="binance",
        ws_url="wss://stream.binance.com:9443",
        rest_url="https://api.binance.com",
        inbound_msgs_per_s=5,
        max_connection_age_s=24 * 3600,
        description="Binance spot (real market data)",
        live_money=True,
        api_key_env="BINANCE_API_KEY",
        secret_env="BINANCE_API_SECRET",
    ),
    "binance-testnet": VenueSpec(
        name="binance-testnet",
        dialect="binance",
        ws_url="wss://stream.testnet.binance.vision",
        rest_url="https://testnet.binance.vision",
        inbound_msgs_per_s=5,
        max_connection_age_s=24 * 3600,
        description="Binance spot testnet",
        api_key_env="BINANCE_TESTNET_API_KEY",
        secret_env="BINANCE_TESTNET_API_SECRET",
    ),
    "upbit": VenueSpec(
        name="upbit",
        dialect="upbit",
        ws_url="wss://api.upbit.com/websocket/v1",
        rest_url="https://api.upbit.com",
        inbound_msgs_per_s=5,
        max_connection_age_s=24 * 3600,
        description="Upbit (KRW, BTC and USDT markets)",
        live_money=True,
        api_key_env="UPBIT_ACCESS_KEY",
        secret_env="UPBIT_SECRET_KEY",
    ),
    # URLs are filled in when the embedded exchange starts (it picks a free port).
    "sim": VenueSpec(
        name="sim",
        dialect="binance",
        ws_url="ws://127.0.0.1:0",
        rest_url="http://127.0.0.1:0",
        inbound_msgs_per_s=5,
        max_connection_age_s=24 * 3600,
        description="letrade sim: the embedded exchange on 127.0.0.1 (Binance dialect)",
        # Unset: the sim's default account (letrade_cli.sim.accounts); set them for
        # `letrade sim --api-key/--api-secret`.
        api_key_env="LETRADE_SIM_API_KEY",
        secret_env="LETRADE_SIM_API_SECRET",
    ),
}


def venue_spec(name: str) -> VenueSpec:
    """The spec of a venue, or a UsageError listing the known ones."""
    try:
        return VENUES[name]
    except KeyError:
        raise UsageError(
            f"unknown venue '{name}'", hint=f"use one of: {', '.join(VENUES)}"
        ) from None


def dialect_for(name: str) -> Dialect:
    """The dialect object for ``binance`` or ``upbit`` (imported on demand)."""
    if name == "binance":
        from letrade_cli.venues.binance import BinanceDialect

        return BinanceDialect()
    if name == "upbit":
        from letrade_cli.venues.upbit import UpbitDialect

        return UpbitDialect()
    raise UsageError(f"unknown dialect '{name}'")
