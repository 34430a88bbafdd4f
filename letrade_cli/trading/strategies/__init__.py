"""Strategies that ship, and loading a user's own class by ``module:Class``."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from letrade_cli.core.errors import UsageError
from letrade_cli.trading.strategies.base import Strategy, StrategyContext

BUILTIN = {
    "sma-cross": "letrade_cli.trading.strategies.sma_cross:SmaCross",
    "mean-reversion": "letrade_cli.trading.strategies.mean_reversion:MeanReversion",
    "breakout": "letrade_cli.trading.strategies.breakout:Breakout",
}


def load_strategy(name: str, params: Mapping[str, Any] | None = None) -> Strategy:
    """A built-in strategy by name (``sma_cross`` = ``sma-cross``) or ``module:Class``.

    The class is called with the profile's ``trading.strategy.params`` dict.
    """
    target = BUILTIN.get(name.replace("_", "-"), name)
    if ":" not in target:
        raise UsageError(
            f"unknown strategy '{name}'",
            hint=f"use one of: {', '.join(BUILTIN)}, or module:Class for your own",
        )
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(
            f"cannot import strategy module '{module_name}': {exc}",
            hint="check the module is on PYTHONPATH (run from its directory)",
        ) from None
    cls = getattr(module, class_name, None)
    if cls is None:
        raise UsageError(f"module '{module_name}' has no class '{class_name}'")
    strategy = cls(dict(params or {}))
    if not callable(getattr(strategy, "on_tick", None)):
        raise UsageError(f"{target} has no on_tick(tick, ctx) method")
    if not getattr(strategy, "name", None):
        strategy.name = target
    return strategy


__all__ = ["BUILTIN", "Strategy", "StrategyContext", "load_strategy"]
