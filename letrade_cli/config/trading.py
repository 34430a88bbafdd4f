"""Settings for `letrade trade` and `letrade dryrun`: a profile's ``trading:`` section.

A profile holds the *names* of the environment variables with the keys, never the keys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(slots=True)
class KeySettings:
    """Which environment variables hold the venue's API key and secret.

    ``ed25519_key_env`` names a variable holding an Ed25519 private key (PEM text, the path of
    a PEM file, or base64): with it, the venue's requests are signed with Ed25519 and the WebSocket
    API session logs on with ``session.logon``; ``secret_env`` is then not needed.
    """

    api_key_env: str = ""
    secret_env: str = ""
    ed25519_key_env: str = ""


@dataclass(slots=True)
class OrderSettings:
    """How orders are sent: receive window, timeouts, how many look-ups before giving up."""

    recv_window_ms: int = 5000
    timeout_s: float = 10.0
    lookup_attempts: int = 5
    # auto: over the venue's WebSocket session when it is up, else signed REST (behind the
    # breaker); ws: the session only; rest: HTTP only.
    order_transport: Literal["auto", "ws", "rest"] = "auto"
    # Fills and order updates pushed over the venue's private stream (else: polled).
    private_stream: bool = True


@dataclass(slots=True)
class PaperSettings:
    """The paper broker's costs and starting cash."""

    balance: str = "10000USDT"
    fee_bps: float = 10.0
    slippage_bps: float = 1.0


@dataclass(slots=True)
class RiskSettings:
    """Limits the risk layer enforces before an order is sent (0 = no limit)."""

    order_notional: float = 100.0
    max_position_notional: float = 1000.0
    max_total_notional: float = 5000.0
    max_daily_loss: float = 200.0
    stop_loss_pct: float = 0.0
    take_profit_pct: float = 0.0
    cooldown_s: float = 60.0


@dataclass(slots=True)
class StrategySettings:
    """Which strategy runs (a built-in name or ``module:Class``) and its parameters."""

    name: str = "sma-cross"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class NotifySettings:
    """Where a run posts its halts, errors, reconciliation mismatches, start and end (a webhook).

    ``token_env`` names the environment variable holding a bearer token (never the token);
    ``fills`` also posts every fill.
    """

    url: str = ""
    fills: bool = False
    token_env: str = ""


@dataclass(slots=True)
class TradingSettings:
    """The ``trading:`` section of a profile."""

    keys: KeySettings = field(default_factory=KeySettings)
    orders: OrderSettings = field(default_factory=OrderSettings)
    paper: PaperSettings = field(default_factory=PaperSettings)
    risk: RiskSettings = field(default_factory=RiskSettings)
    strategy: StrategySettings = field(default_factory=StrategySettings)
    notify: NotifySettings = field(default_factory=NotifySettings)


def load_trading_settings(profile: str | None) -> TradingSettings:
    """The ``trading:`` section of a profile (defaults when there is no profile or section).

    Raises:
        ConfigError: the profile is missing, or its ``trading:`` section has an unknown key or a
            wrong type (the message names the file and the dotted key).
    """
    from letrade_cli.config.loader import find_profile, from_mapping, load_yaml_mapping

    if profile is None:
        return TradingSettings()
    path = find_profile(profile)
    section = load_yaml_mapping(path).get("trading")
    if section is None:
        return TradingSettings()
    settings = from_mapping(TradingSettings, section, source=str(path), prefix="trading")
    check_trading_settings(settings, str(path))
    return settings


# (dotted key, lowest, highest, lowest allowed itself): values a venue or the engine cannot use.
_BOUNDS: tuple[tuple[str, float, float, bool], ...] = (
    ("orders.recv_window_ms", 1, 60_000, True),  # the widest window a venue accepts
    ("orders.timeout_s", 0, math.inf, False),
    ("orders.lookup_attempts", 1, math.inf, True),
    ("paper.fee_bps", 0, 10_000, True),
    ("paper.slippage_bps", 0, 10_000, True),
    ("risk.order_notional", 0, math.inf, True),
    ("risk.max_position_notional", 0, math.inf, True),
    ("risk.max_total_notional", 0, math.inf, True),
    ("risk.max_daily_loss", 0, math.inf, True),
    ("risk.stop_loss_pct", 0, 100, True),
    ("risk.take_profit_pct", 0, math.inf, True),
    ("risk.cooldown_s", 0, math.inf, True),
)


def check_trading_settings(settings: TradingSettings, source: str) -> None:
    """Refuse numbers no order can be sent with (``timeout_s: -1``, ``recv_window_ms: 0``).

    Raises:
        ConfigError: naming the file, the dotted key, its bounds and the value given.
    """
    from letrade_cli.core.errors import ConfigError

    for key, low, high, low_ok in _BOUNDS:
        section, name = key.split(".")
        value = getattr(getattr(settings, section), name)
        above = value >= low if low_ok else value > low
        if not (math.isfinite(value) and above and value <= high):
            least = f">= {low:g}" if low_ok else f"> {low:g}"
            most = f" and <= {high:g}" if math.isfinite(high) else ""
            raise ConfigError(
                f"{source}: trading.{key}: must be {least}{most}, got {value:g}",
                hint="fix the value in the profile",
            )
